"""`tre sdc check --format acro`: a results.json with the structure ACRO 1.0.2 writes, that
ACRO's own loader and SACRO-Viewer's loader (ported in `sacro_viewer.py`) read back."""

from __future__ import annotations

import contextlib
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tre.cli import main
from tre.cli.sdc import EXIT_BLOCK, EXIT_PASS, EXIT_REVIEW
from tre.sdc.acro_results import ACRO_FORMAT_VERSION, output_result

from . import sacro_viewer
from .helpers import write_csv


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
        raise SystemExit(0)
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


@pytest.fixture(scope="module")
def acro_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder written by ACRO 1.0.2 itself: a frequency table with small cells, a table of
    means, and a custom output."""
    from acro import ACRO

    work = tmp_path_factory.mktemp("acro")
    rng = np.random.default_rng(5)
    df = pd.DataFrame(
        {
            "region": rng.choice(["A", "B", "C"], 300),
            "sex": rng.choice(["F", "M"], 300),
            "cost": rng.gamma(2.0, 100.0, 300),
        }
    )
    df.loc[df.index[:3], "region"] = "D"
    (work / "note.txt").write_text("Methods.\n")
    with contextlib.chdir(work), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        acro = ACRO(suppress=False)
        acro.crosstab(df.region, df.sex)
        acro.crosstab(df.region, df.sex, values=df.cost, aggfunc="mean")
        acro.custom_output("note.txt", "A note.")
        acro.finalise("out", "json")
    return work / "out"


def _ours(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, body: str) -> Path:
    (tmp_path / name).write_text(body)
    out = tmp_path / f"acro-{name}"
    run(["sdc", "check", str(tmp_path / name), "--format", "acro", "--out", str(out)], capsys)
    return out


def _shape(value: Any) -> str:
    return type(value).__name__


def test_structure_is_acro_1_0_2s(
    acro_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    theirs = json.loads((acro_folder / "results.json").read_text())
    assert theirs["version"] == ACRO_FORMAT_VERSION  # the release this format follows
    table = _ours(tmp_path, capsys, "counts.csv", "region,F,M\nA,50,48\nB,51,47\nD,2,1\n")
    note = _ours(tmp_path, capsys, "note.txt", "Methods are in the protocol.\n")
    for folder, acro_key in ((table, "output_0"), (note, "output_2")):
        ours = json.loads((folder / "results.json").read_text())
        assert set(ours) == set(theirs)
        assert set(ours["tool"]) == set(theirs["tool"]) - {"url"}  # no public home to name
        (result,) = ours["results"].values()
        reference = theirs["results"][acro_key]
        assert result["type"] == reference["type"]
        assert set(result) == set(reference)
        for key, value in reference.items():
            assert _shape(result[key]) == _shape(value), key
        assert set(reference["files"][0]) <= set(result["files"][0])
        assert result["status"] in ("pass", "fail", "review")
        assert (folder / "checksums" / (result["files"][0]["name"] + ".txt")).is_file()
    table_result = json.loads((table / "results.json").read_text())["results"]["counts.csv"]
    sdc, reference_sdc = table_result["files"][0]["sdc"], theirs["results"]["output_0"]
    assert set(sdc) == set(reference_sdc["files"][0]["sdc"]) == {"summary", "cells"}
    assert sdc["cells"]["MinimumThresholdCheck"] == [[2, 0], [2, 1]]  # ACRO's own check name
    assert sdc["summary"]["MinimumThresholdCheck"] == 2
    assert table_result["outcome"] == {
        "F": {"2": "MinimumThresholdCheck; "},
        "M": {"2": "MinimumThresholdCheck; "},
    }


def test_acro_loads_our_folder_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from acro.record import load_records

    folder = _ours(tmp_path, capsys, "counts.csv", "region,F,M\nA,50,48\nB,51,47\nD,2,1\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        records = load_records(str(folder))
    record = records.get("counts.csv")
    assert record.status == "fail" and record.output_type == "table"
    assert record.sdc["cells"]["MinimumThresholdCheck"] == [[2, 0], [2, 1]]
    assert list(record.output[0].columns) == ["region", "F", "M"]  # the CSV itself, read by ACRO


def test_sacro_viewer_shows_our_verdicts_and_the_flagged_cells(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = "region,sex,n\nA,F,50\nA,M,3\nB,F,47\nB,M,44\n"
    folder = _ours(tmp_path, capsys, "long.csv", body)
    outputs = sacro_viewer.load(sacro_viewer.find_results(folder))
    metadata = outputs["long.csv"]
    filedata = metadata["files"][0]
    assert filedata["checksum_valid"] is True
    shown = sacro_viewer.page(metadata)
    assert shown["status"] == "Fail" and shown["review_buttons"] == "reject"
    assert shown["status_details"] == ["MinimumThresholdCheck: 1 cells may need suppressing"]
    assert shown["type"] == "csv table"
    assert any("threshold" in c for c in shown["comments"])
    # The highlighted cell is the small count itself: row 1 ("A,M,3"), column n.
    assert sacro_viewer.highlighted(body, filedata["cell_index"]) == {
        "1,2": ["MinimumThresholdCheck"]
    }


def test_sacro_viewer_port_is_not_vacuous(
    acro_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # ACRO's own folder loads and its flagged cells are found the same way ...
    outputs = sacro_viewer.load(acro_folder / "results.json")
    frequency = outputs["output_0"]["files"][0]
    assert frequency["checksum_valid"] is True
    csv_text = (acro_folder / frequency["name"]).read_text()
    flagged = sacro_viewer.highlighted(csv_text, frequency["cell_index"])
    assert flagged and all(cell.split(",")[1] != "0" for cell in flagged)  # never the index
    # ... and what SACRO-Viewer refuses or warns about is refused or flagged here.
    folder = _ours(tmp_path, capsys, "counts.csv", "region,F,M\nA,50,48\nB,51,47\n")
    results = folder / "results.json"
    document = json.loads(results.read_text())
    (folder / "counts.csv").write_text("region,F,M\nA,50,48\nB,51,4\n")
    assert sacro_viewer.load(results)["counts.csv"]["files"][0]["checksum_valid"] is False
    for broken in (
        {**document, "version": "0.3.9"},
        {"version": "1.0.2", "results": {"x": {"files": []}}},
        {"results": document["results"]},
    ):
        results.write_text(json.dumps(broken))
        with pytest.raises((sacro_viewer.InvalidFile, sacro_viewer.IncorrectVersion)):
            sacro_viewer.load(results)


def test_exit_status_is_the_verdicts_whatever_the_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    safe = write_csv(tmp_path / "ok.csv", ["group", "n"], [["a", 20], ["b", 30]])
    small = write_csv(tmp_path / "small.csv", ["group", "n"], [["a", 2], ["b", 30]])
    text = tmp_path / "notes.txt"
    text.write_text("Methods are described in the protocol.\n")
    for path, code, status in (
        (safe, EXIT_PASS, "pass"),
        (small, EXIT_BLOCK, "fail"),
        (text, EXIT_REVIEW, "review"),
    ):
        found, out, _err = run(["sdc", "check", str(path), "--format", "acro"], capsys)
        assert found == code
        (result,) = json.loads(out)["results"].values()
        assert result["status"] == status and result["uid"] == path.name
        assert result["files"][0]["sha256"] and len(result["files"][0]["sha256"]) == 64
    assert (
        json.loads(run(["sdc", "check", str(safe), "--format", "json"], capsys)[1])["verdict"]
        == "pass"
    )


def test_out_never_overwrites_and_needs_the_acro_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small = write_csv(tmp_path / "small.csv", ["group", "n"], [["a", 2], ["b", 30]])
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("mine")
    code, out, err = run(
        ["sdc", "check", str(small), "--format", "acro", "--out", str(taken)], capsys
    )
    assert code not in (EXIT_PASS, EXIT_REVIEW, EXIT_BLOCK) and "Traceback" not in out + err
    assert "not an empty folder" in out + err
    assert [p.name for p in taken.iterdir()] == ["keep.txt"]
    code, out, err = run(["sdc", "check", str(small), "--out", str(tmp_path / "new")], capsys)
    assert code not in (EXIT_PASS, EXIT_REVIEW, EXIT_BLOCK) and "--format acro" in out + err
    assert not (tmp_path / "new").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert (
        run(["sdc", "check", str(small), "--format", "acro", "--out", str(empty)], capsys)[0]
        == EXIT_BLOCK
    )
    assert sorted(p.name for p in empty.iterdir()) == ["checksums", "results.json", "small.csv"]


def test_markup_in_a_message_stays_text() -> None:
    """SACRO-Viewer sets summary, comments and the exception as HTML; a message can quote
    column names the analyst wrote."""
    report = {
        "detected_type": "csv",
        "verdict": "block",
        "findings": [
            {
                "rule": "unique-combination",
                "severity": "block",
                "message": "x",
                "message_id": "{n} rows are unique on {cols}.",
                "message_params": {"n": 3, "cols": "<img src=x onerror=alert(1)>"},
                "columns": [],
                "cells": [],
            }
        ],
    }
    result = output_result(
        "t.csv", report, timestamp="2026-01-01T00:00:00+09:00", command="c",
        columns=["a"], exception="<script>x</script>",
    )  # fmt: skip
    text = result["summary"] + "".join(result["comments"]) + result["exception"]
    assert "<" not in text and ">" not in text
    assert "rows are unique on" in result["comments"][0]  # in English, from the message id
