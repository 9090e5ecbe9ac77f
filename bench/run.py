"""Run every benchmark in bench/ with its default size, one after another, and summarise.

Each bench/*.py script (except this one, and helper modules without a `__main__` guard)
prints its own figures and a line `ratio: R (target <= T)` (or `ratio <what>: R`); a script
may also print `bench-result: {json}` with a "ratio" (and "target"). This harness streams
each script's output, then prints a table of ratios and exits non-zero if a script failed.
Targets are reported, not enforced: timings vary with the machine, so a slow ratio is
information, not a failure.

    .venv/bin/python bench/run.py              # all benchmarks (what `make bench` runs)
    .venv/bin/python bench/run.py ingest sdc   # only these
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
# "ratio: 1.2 (target <= 1.5)", also "ratio ours / baseline: 420x".
RATIO = re.compile(r"^ratio\b[^:]*:\s*([0-9.]+)x?(?:.*?target\s*<=?\s*([0-9.]+))?", re.IGNORECASE)
RESULT = re.compile(r"^bench-result:\s*(\{.*\})\s*$")


@dataclass
class Outcome:
    name: str
    seconds: float
    returncode: int
    ratio: float | None = None
    target: float | None = None

    @property
    def verdict(self) -> str:
        if self.returncode != 0:
            return f"FAILED (exit {self.returncode})"
        if self.ratio is None:
            return "no ratio printed"
        if self.target is None:
            return "-"
        return "meets target" if self.ratio <= self.target else "above target"


def parse(output: str) -> tuple[float | None, float | None]:
    """The last ratio (and target) a benchmark printed; `bench-result` JSON wins."""
    ratio = target = None
    for line in output.splitlines():
        if match := RESULT.match(line.strip()):
            try:
                data = json.loads(match.group(1))
                ratio = float(data["ratio"])
                target = float(data["target"]) if data.get("target") is not None else target
                continue
            except (ValueError, KeyError, TypeError):
                pass
        if match := RATIO.match(line.strip()):
            ratio = float(match.group(1))
            target = float(match.group(2)) if match.group(2) else None
    return ratio, target


def run(script: Path) -> Outcome:
    print(f"\n=== {script.stem} ===", flush=True)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=BENCH_DIR.parent
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        lines.append(line)
    returncode = proc.wait()
    ratio, target = parse("".join(lines))
    return Outcome(script.stem, time.perf_counter() - start, returncode, ratio, target)


def is_script(path: Path) -> bool:
    """Benchmarks are scripts; helper modules they import (no __main__ guard) are not."""
    text = path.read_text(encoding="utf-8")
    return 'if __name__ == "__main__":' in text or "if __name__ == '__main__':" in text


def scripts(selected: list[str]) -> list[Path]:
    found = sorted(
        p for p in BENCH_DIR.glob("*.py") if p.name != Path(__file__).name and is_script(p)
    )
    if not selected:
        return found
    by_name = {p.stem: p for p in found}
    unknown = [name for name in selected if name not in by_name]
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(unknown)}; have {', '.join(by_name)}")
    return [by_name[name] for name in selected]


def summary(outcomes: list[Outcome]) -> str:
    rows = [("benchmark", "ratio", "target", "time", "verdict")]
    for o in outcomes:
        rows.append((
            o.name,
            "-" if o.ratio is None else f"{o.ratio:.2f}",
            "-" if o.target is None else f"<= {o.target:g}",
            f"{o.seconds:.0f} s",
            o.verdict,
        ))  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)
    return "\n".join(line.rstrip() for line in lines)


def main(argv: list[str]) -> int:
    outcomes = [run(script) for script in scripts(argv)]
    print("\n=== summary ===")
    print(summary(outcomes))
    return 1 if any(o.returncode != 0 for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
