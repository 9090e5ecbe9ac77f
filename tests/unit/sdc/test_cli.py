"""`tre sdc check`: exit status, JSON and human output, microdata options."""

import json
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tre.cli import main
from tre.cli.sdc import EXIT_BLOCK, EXIT_PASS, EXIT_REVIEW

from .helpers import write_csv


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
        raise SystemExit(0)
    return int(exit_info.value.code or 0), capsys.readouterr().out


def test_exit_codes_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    safe = write_csv(tmp_path / "ok.csv", ["group", "n"], [["a", 20], ["b", 30]])
    small = write_csv(tmp_path / "small.tsv", ["group", "n"], [["a", 2], ["b", 30]], sep="\t")
    text = tmp_path / "notes.txt"
    text.write_text("Methods are described in the protocol.\n")
    code, out = run(["sdc", "check", str(safe), "--json"], capsys)
    assert code == EXIT_PASS and json.loads(out)["verdict"] == "pass"
    code, out = run(["sdc", "check", str(small), "--json"], capsys)
    body = json.loads(out)
    assert code == EXIT_BLOCK and body["detected_type"] == "tsv"
    assert body["findings"][0]["cells"] == [[0, "n"]]
    code, _out = run(["sdc", "check", str(text)], capsys)
    assert code == EXIT_REVIEW


def test_human_output_is_a_table_of_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small = write_csv(tmp_path / "small.csv", ["group", "n"], [["a", 2], ["b", 30]])
    code, out = run(["sdc", "check", str(small)], capsys)
    assert code == EXIT_BLOCK
    assert "threshold" in out and "r1:n" in out


def test_disguised_zip_and_json_and_images(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "data.txt"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a.csv", "a\n1\n")
    assert run(["sdc", "check", str(archive)], capsys)[0] == EXIT_BLOCK
    doc = tmp_path / "t.json"
    doc.write_text(json.dumps({"region": ["A", "B"], "n": [15, 40]}))
    assert run(["sdc", "check", str(doc)], capsys)[0] == EXIT_PASS
    png = tmp_path / "p.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    assert run(["sdc", "check", str(png)], capsys)[0] == EXIT_REVIEW


def test_microdata_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    micro = pa.table(
        {
            "g": ["a"] * 14 + ["b"] * 20,
            "person": ["p1"] * 7 + ["p2"] * 7 + [f"q{i}" for i in range(20)],
            "cost": [5.0] * 34,
        }
    )
    pq.write_table(micro, tmp_path / "m.parquet")
    table = write_csv(tmp_path / "t.csv", ["g", "n"], [["a", 14], ["b", 20]])
    base = ["sdc", "check", str(table), "--microdata", str(tmp_path / "m.parquet"), "--by", "g"]
    assert run([*base, "--stat", "count"], capsys)[0] == EXIT_PASS
    code, out = run([*base, "--unit", "person", "--stat", "count", "--json"], capsys)
    assert code == EXIT_BLOCK
    assert [0, "n"] in json.loads(out)["findings"][0]["cells"]


def test_bad_options_fail_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = write_csv(tmp_path / "t.csv", ["g", "n"], [["a", 14]])
    code, _ = run(["sdc", "check", str(table), "--stat", "mode"], capsys)
    assert code not in (EXIT_PASS, EXIT_REVIEW, EXIT_BLOCK)
    code, _ = run(["sdc", "check", str(tmp_path / "absent.csv")], capsys)
    assert code == 4
    pq.write_table(pa.table({"x": [1]}), tmp_path / "m.parquet")
    code, _ = run(
        ["sdc", "check", str(table), "--microdata", str(tmp_path / "m.parquet"), "--by", "nope"],
        capsys,
    )
    assert code == 6
    assert "Traceback" not in capsys.readouterr().err


def test_profile_option_checks_with_another_bodys_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "t.csv", ["g", "n"], [["a", 8], ["b", 1500], ["c", 2500]])
    code, _out = run(["sdc", "check", str(path), "--json"], capsys)
    assert code == EXIT_BLOCK  # 8 < 10 under ACRO
    code, out = run(["sdc", "check", str(path), "--profile", "opensafely", "--json"], capsys)
    assert code == EXIT_BLOCK and {f["rule"] for f in json.loads(out)["findings"]} == {
        "rounding-required"
    }
    code, _out = run(["sdc", "check", str(path), "--profile", "lenient"], capsys)
    assert code == 6
