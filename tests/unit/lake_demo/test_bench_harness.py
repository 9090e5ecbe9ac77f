"""bench/run.py reads each benchmark's ratio; bench/ingest.py runs end to end on tiny input."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_parse_reads_ratio_lines_and_json_results() -> None:
    run = load("run")
    assert run.parse("rows: 5\nratio: 1.23 (target <= 1.3)\n") == (1.23, 1.3)
    assert run.parse("ratio: 0.5\n") == (0.5, None)
    assert run.parse("ratio Rego / Python:    420x\n") == (420.0, None)
    assert run.parse('ratio: 9 (target <= 1.5)\nbench-result: {"ratio": 2.5, "target": 1.5}') == (
        2.5,
        1.5,
    )
    assert run.parse("no figures here") == (None, None)


def test_summary_marks_failures_and_missed_targets() -> None:
    run = load("run")
    table = run.summary(
        [
            run.Outcome("fast", 3.0, 0, 1.2, 1.3),
            run.Outcome("slow", 3.0, 0, 2.0, 1.5),
            run.Outcome("broken", 1.0, 2),
        ]
    )
    lines = table.splitlines()
    assert lines[0].split() == ["benchmark", "ratio", "target", "time", "verdict"]
    assert "meets target" in lines[1] and "above target" in lines[2]
    assert "FAILED (exit 2)" in lines[3]


def test_helper_modules_are_not_run_as_benchmarks(tmp_path: Path) -> None:
    run = load("run")
    helper, script = tmp_path / "helper.py", tmp_path / "bench.py"
    helper.write_text("FACTS = {}\n")
    script.write_text('if __name__ == "__main__":\n    print("ratio: 1.0")\n')
    assert not run.is_script(helper) and run.is_script(script)
    assert "ingest" in [p.stem for p in run.scripts([])]


def test_unknown_benchmark_name_is_refused() -> None:
    run = load("run")
    with pytest.raises(SystemExit, match="unknown benchmark"):
        run.scripts(["no-such-bench"])


@pytest.mark.slow
@pytest.mark.parametrize("data_format", ["bulk", "jp-clins"])
def test_ingest_bench_runs_from_one_command(tmp_path: Path, data_format: str) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(BENCH / "ingest.py"),
            "--patients",
            "20",
            "--workdir",
            str(tmp_path),
            "--format",
            data_format,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    ratio, target = load("run").parse(proc.stdout)
    assert ratio is not None and ratio > 0 and target == 1.5
    assert "peak RSS" in proc.stdout
    assert list(tmp_path.iterdir()) == []  # cleaned up
