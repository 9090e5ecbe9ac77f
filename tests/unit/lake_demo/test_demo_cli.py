"""`tre demo-data` on the command line: output, --json, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tre.cli import main
from tre.lake.synth import RESOURCE_TYPES


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
        raise SystemExit(0)
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


def test_json_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bulk"
    code, stdout, _ = run(["demo-data", "--patients", "20", "--out", str(out), "--json"], capsys)
    assert code == 0
    summary = json.loads(stdout)
    assert summary["patients"] == 20 and summary["resources"]["Patient"] == 20
    assert set(summary["files"]) == {f"{rt}.ndjson" for rt in RESOURCE_TYPES}
    assert all((out / name).stat().st_size == size for name, size in summary["files"].items())


def test_gzip_flag_and_plain_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = run(
        ["demo-data", "--patients", "5", "--out", str(tmp_path), "--gzip"], capsys
    )
    assert code == 0
    assert "Wrote 5 patients" in stdout and "Patient.ndjson.gz" in stdout
    assert (tmp_path / "Claim.ndjson.gz").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--patients", "0"], "--patients must be at least 1"),
        (["--patients", "3", "--seed", "-2"], "--seed must not be negative"),
    ],
)
def test_bad_numbers_fail_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    code, _, stderr = run(["demo-data", *args, "--out", str(tmp_path / "o")], capsys)
    assert code != 0
    assert stderr.strip().count("\n") == 0 and expected in stderr
    assert "Traceback" not in stderr


def test_unwritable_out_fails_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory")
    for out in (a_file, a_file / "below"):
        code, stdout, stderr = run(
            ["demo-data", "--patients", "3", "--out", str(out), "--json"], capsys
        )
        assert code != 0
        assert json.loads(stdout)["error"] == "UserError"
        assert stderr.strip().count("\n") == 0 and "--out" in stderr
    assert a_file.read_text() == "not a directory"


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux sysfs")
def test_directory_nobody_may_write_fails(capsys: pytest.CaptureFixture[str]) -> None:
    # sysfs refuses new directories even to root, unlike a chmod-ed temporary directory.
    code, _, stderr = run(["demo-data", "--patients", "3", "--out", "/sys/tre-demo-out"], capsys)
    assert code != 0 and "Cannot write to the output directory" in stderr
    assert stderr.strip().count("\n") == 0
