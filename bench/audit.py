"""What signing an audit checkpoint after every committed change costs.

Timed: N audited changes, each its own committed transaction on the default SQLite control
database, with a checkpoint signed and appended after each (the default,
`audit_checkpoint_interval_seconds = 0`). Baseline, measured in the same run on a second
database, in alternating batches: the same changes with signing switched off. Prints both
per-change times and their ratio; then the time of `tre audit verify`'s pass over the chain
and all its checkpoints.

    .venv/bin/python bench/audit.py [--changes N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from tre import audit
from tre.checkpoint import keys, publish, source
from tre.checkpoint import verify as verification
from tre.cli.init import initialise
from tre.config import Settings, load_settings
from tre.db import dispose_engines, session_scope


def batch(settings: Settings, n: int) -> float:
    """Milliseconds per audited change over `n` changes."""
    started = time.perf_counter()
    for i in range(n):
        with session_scope(settings) as session:
            audit.record(
                session,
                actor="bench",
                action="bench.change",
                object_type="project",
                object_id=f"p-{i}",
                body={"i": i},
            )
    return (time.perf_counter() - started) / n * 1000


def fresh(root: Path, name: str) -> Settings:
    settings = load_settings(home=root / name)
    initialise(settings)
    return settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--changes", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        baseline_settings = fresh(root, "baseline")
        signed_settings = fresh(root, "signed")
        signing = publish.sign_when_due
        baselines, signeds = [], []
        for _round in range(5):  # alternate, so both see the same load on a shared machine
            publish.sign_when_due = lambda settings: None  # type: ignore[assignment]
            baselines.append(batch(baseline_settings, args.changes // 5))
            publish.sign_when_due = signing  # type: ignore[assignment]
            signeds.append(batch(signed_settings, args.changes // 5))
        baseline, signed = statistics.median(baselines), statistics.median(signeds)
        started = time.perf_counter()
        with session_scope(signed_settings) as session:
            report = verification.verify(
                session,
                source.read(str(signed_settings.audit_checkpoints_path)),
                [keys.require(signed_settings).verifier],
            )
        verify_s = time.perf_counter() - started
        assert report.ok and report.checked == args.changes + 1
        dispose_engines()
    print(f"changes: {args.changes}, SQLite, one transaction each")
    print(f"baseline (no checkpoint): {baseline:.2f} ms per change")
    print(f"signed checkpoint after each: {signed:.2f} ms per change")
    print(f"verify chain and {report.checked} checkpoints: {verify_s:.2f} s")
    print(f"ratio signed / baseline: {signed / baseline:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
