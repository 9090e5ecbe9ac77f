"""Findings, command-line output and logs name files, columns and cell positions, never a
value from the records: a hostile table full of recognisable values must not echo any."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tre.cli import main

from .helpers import check, rules, write_csv

MARKERS = ("Qz7Marker", "1931-07-04", "SW1A 1AA", "HYPERLINK", "4f7a11ce")
PERSON = "4f7a11ce" + "0" * 56


def _hostile(tmp_path: Path) -> Path:
    """Small counts, a person id, a date of birth, a full postcode and a formula."""
    return write_csv(
        tmp_path / "hostile.csv",
        ["label", "birth_date", "area", "ref", "n"],
        [
            ["Qz7Marker", "1931-07-04", "SW1A 1AA", PERSON, 3],
            ['"=HYPERLINK(""http://x"")"', "1975-11-30", "M1 1AE", "a" * 64, 14],
            ["other", "1980-02-03", "EC1A 1BB", "b" * 64, 12],
        ],
    )


def _assert_no_marker(text: str, where: str) -> None:
    for marker in MARKERS:
        assert marker not in text, f"{marker!r} appears in {where}"


def test_findings_name_positions_not_values(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    report = check(_hostile(tmp_path), person_ids={PERSON})
    found = rules(report)
    for rule in ("person-identifier", "date-of-birth", "full-postcode"):
        assert found.get(rule) == "block", rule
    assert any(f.cells for f in report.findings)  # positions are given ...
    for f in report.findings:  # ... but never the values in them
        _assert_no_marker(f.message, f"the {f.rule} finding")
        _assert_no_marker(json.dumps(f.to_dict()), f"the stored {f.rule} finding")
    _assert_no_marker("\n".join(r.getMessage() for r in caplog.records), "the log")


@pytest.mark.parametrize("as_json", [True, False])
def test_cli_output_and_log_carry_no_values(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    as_json: bool,
) -> None:
    caplog.set_level(logging.DEBUG)
    args = ["sdc", "check", str(_hostile(tmp_path))] + (["--json"] if as_json else [])
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code != 0  # blocked
    captured = capsys.readouterr()
    if as_json:
        assert {"date-of-birth", "full-postcode"} <= {
            f["rule"] for f in json.loads(captured.out)["findings"]
        }
    _assert_no_marker(captured.out + captured.err, "the command's output")
    _assert_no_marker("\n".join(r.getMessage() for r in caplog.records), "the log")


def test_unreadable_microdata_error_carries_no_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = write_csv(tmp_path / "t.csv", ["label", "n"], [["a", 20], ["b", 30]])
    micro = tmp_path / "micro.csv"
    micro.write_text("label,cost\nQz7Marker,not-a-number-1931-07-04\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["sdc", "check", str(table), "--microdata", str(micro), "--by", "label",
              "--value", "cost", "--stat", "mean"])  # fmt: skip
    assert exit_info.value.code != 0
    captured = capsys.readouterr()
    assert captured.err.strip()
    _assert_no_marker(captured.out + captured.err, "the error")
