"""Findings, command-line output and logs name files, columns and cell positions, never a
value from the records: a hostile table full of recognisable values must not echo any."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tre.cli import common, main
from tre.sdc.acro_results import output_result, table_columns
from tre.sdc.columns import column_index

from .helpers import cells_of, check, rules, write_csv

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
    monkeypatch: pytest.MonkeyPatch,
    as_json: bool,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(common.console, "width", 1000)  # no cell folded across lines
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


# --- headers that are record values -------------------------------------------------------
# A marker every hostile header below carries, and that nothing else in the tables holds.
HEADER_MARK = "Qz7"
EXTRACT_IDS = [f"{HEADER_MARK}Marker{i}" + "k3j9" * 14 for i in range(5)]


def _header_cases(tmp_path: Path) -> dict[str, tuple[Path, dict[str, object]]]:
    """Tables whose headers are values from the records, with the context each is checked
    with: the extract's identifiers (shortened) as headers, person names as headers (the
    rows are attributes), one identifier-shaped header in an aggregate that has a small count
    in that column, and a formula as a header."""
    attributes: list[list[object]] = [
        ["age", 34, 51, 72],
        ["sex", "F", "M", "F"],
        ["region", "Kanto", "Kinki", "Tohoku"],
    ]
    names = [f"{HEADER_MARK}Tanaka", f"{HEADER_MARK}Suzuki", f"{HEADER_MARK}Sato"]
    formula = f'"=HYPERLINK(""http://{HEADER_MARK}.example"")"'
    small = [["Kanto", 40, 25], ["Kinki", 30, 3], ["Tohoku", 20, 12]]
    short_ids = [i[:10] for i in EXTRACT_IDS[:3]]
    return {
        "extract_ids": (
            write_csv(tmp_path / "persons.csv", ["attribute", *short_ids], attributes),
            {"person_ids": set(EXTRACT_IDS)},
        ),
        "names": (write_csv(tmp_path / "names.csv", ["attribute", *names], attributes), {}),
        "one_id": (
            write_csv(tmp_path / "one_id.csv", ["region", "n", f"{HEADER_MARK}x9Kp2Lm4W"], small),
            {},
        ),
        "formula": (
            write_csv(tmp_path / "formula.csv", ["region", "n", formula], small[:2]),
            {},
        ),
    }


def _named_columns(report: object) -> set[str]:
    found = report.findings  # type: ignore[attr-defined]
    return {c for f in found for c in f.columns} | {c for f in found for _r, c in f.cells}


@pytest.mark.parametrize("case", ["extract_ids", "names", "one_id", "formula"])
def test_headers_that_are_record_values_are_named_by_position(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    caplog.set_level(logging.DEBUG)
    path, context = _header_cases(tmp_path)[case]
    report = check(path, **context)
    assert report.verdict == "block"
    stored = json.dumps(report.to_dict(), ensure_ascii=False)
    assert HEADER_MARK not in stored, f"a header of {case} is in the stored report"
    assert HEADER_MARK not in "\n".join(r.getMessage() for r in caplog.records)
    headers = path.read_text().splitlines()[0].split(",")
    for name in _named_columns(report):
        index = column_index(name, headers)
        assert index is not None, name
        assert name in headers or name == f"#{index + 1}"
    if case == "one_id":  # the small count is placed on its own cell, by position
        assert (1, "#3") in cells_of(report, "threshold")
        assert column_index("#3", headers) == 2
    if case == "formula":
        assert [f.columns for f in report.findings if f.rule == "formula-injection"] == [["#3"]]
    if case in ("extract_ids", "names"):
        assert rules(report)["transposed-persons"] == "block"


def test_results_json_places_positional_cells_and_names_no_header(tmp_path: Path) -> None:
    path, _context = _header_cases(tmp_path)["one_id"]
    report = check(path).to_dict()
    result = output_result(
        "one_id.csv", report, timestamp="t", command="c", columns=table_columns(path)
    )
    assert HEADER_MARK not in json.dumps(result, ensure_ascii=False)
    assert [1, 1] in result["files"][0]["sdc"]["cells"]["MinimumThresholdCheck"]
    assert "MinimumThresholdCheck" in result["outcome"]["#3"]["1"]


@pytest.mark.parametrize("case", ["extract_ids", "names", "one_id", "formula"])
@pytest.mark.parametrize("fmt", ["table", "json", "acro", "acro-folder"])
def test_cli_names_such_headers_by_position_in_every_format(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    case: str,
    fmt: str,
) -> None:
    monkeypatch.setattr(common.console, "width", 1000)  # no cell folded across lines
    path, _context = _header_cases(tmp_path)[case]
    folder = tmp_path / "acro-out"
    args = ["sdc", "check", str(path), "--format", fmt.split("-")[0]]
    args += ["--out", str(folder)] if fmt == "acro-folder" else []
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 11  # blocked
    captured = capsys.readouterr()
    assert HEADER_MARK not in captured.out + captured.err
    if fmt == "acro-folder":
        written = [p for p in folder.rglob("*") if p.is_file() and p.name != path.name]
        assert {p.name for p in written} == {"results.json", f"{path.name}.txt"}
        for p in written:
            assert HEADER_MARK not in p.read_text(encoding="utf-8"), p.name
