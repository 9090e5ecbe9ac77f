"""FHIR ingest into the pseudonymised lake versus a raw DuckDB NDJSON -> Parquet copy.

Generates synthetic bulk NDJSON with `tre demo-data` (by default about 5 million
resources), then, in the same run and on the same (page-cached) files, times

  * ours:     `tre lake ingest fhir DIR --source bench` (after `tre init`, own TRE_HOME),
  * baseline: DuckDB `COPY (SELECT * FROM read_json(FILE)) TO 'FILE.parquet'` per file,

each in its own subprocess, alternately `--repeat` times (default 3; the machine's load
varies), and prints the medians, their ratio (target <= 1.5), rows per second and the
highest peak memory of each (max RSS from wait4). Peak memory should not grow with the
input: compare two sizes.

    .venv/bin/python bench/ingest.py                    # ~45,000 patients, ~5M resources
    .venv/bin/python bench/ingest.py --patients 5000    # a quick run
    .venv/bin/python bench/ingest.py --format jp-clins  # JP-CLINS document Bundles

With `--format jp-clins` the input is `tre demo-data --format jp-clins` (one document Bundle
per line of Bundle.ndjson: check-up reports, referrals, discharge summaries), ingested with
the insurance identity as linkage system, as a Japanese deployment would; the baseline is
the same DuckDB copy of that file.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tre.lake.linkage import INSURANCE_MEMBER_SYSTEM
from tre.lake.synth import write_demo_data
from tre.lake.synth.writer import FORMATS, file_types

DEFAULT_PATIENTS = 45_000  # about 111 resources per patient: about 5 million resources
TARGET_RATIO = 1.5
TRE = Path(sys.executable).with_name("tre")

BASELINE = """
import sys, duckdb
data, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
for name in sys.argv[3:]:
    con.execute(
        f"COPY (SELECT * FROM read_json('{data}/{name}', format='newline_delimited')) "
        f"TO '{out}/{name.split('.')[0]}.parquet' (FORMAT parquet)"
    )
"""


@dataclass
class Run:
    seconds: float
    max_rss_mb: float
    stdout: str


def measure(cmd: list[str], env: dict[str, str]) -> Run:
    """Run `cmd`, returning wall time and the peak RSS of that child alone (via wait4).

    Dirty pages are flushed first, so no run pays for writing back the previous one's output.
    """
    os.sync()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out_file, err_file = proc.stdout, proc.stderr
    assert out_file is not None and err_file is not None
    stdout, stderr = out_file.read(), err_file.read()  # small outputs: no deadlock
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.stderr.write(stderr.decode(errors="replace")[-2000:])
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd[:4])} ...")
    return Run(seconds, usage.ru_maxrss / 1024, stdout.decode(errors="replace"))


def warm_page_cache(data: Path) -> None:
    """Read every input once so neither contender pays for the first read from disk.

    The just-generated files are written out and dropped from the page cache first: pages
    left by writing cost more system time to read than pages read from disk (measured:
    1.4 s more for our ingest), and an input normally arrives from disk, not from a writer
    on the same machine a moment earlier."""
    os.sync()
    for path in sorted(data.iterdir()):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
        with path.open("rb") as fh:
            while fh.read(1 << 24):
                pass


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=DEFAULT_PATIENTS)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--format", choices=FORMATS, default="bulk", help="demo data format")
    parser.add_argument("--workdir", type=Path, help="where to put data (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed rounds of each (medians are compared)"
    )
    args = parser.parse_args()

    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="tre-bench-ingest-", dir=args.workdir))
    try:
        data, home, copies = work / "data", work / "home", work / "baseline"
        copies.mkdir()
        summary = write_demo_data(data, args.patients, args.seed, data_format=args.format)
        rows = summary.total_resources
        size_mb = sum(summary.files.values()) / 1e6
        print(
            f"input ({args.format}): {args.patients:,} patients, {rows:,} resources, "
            f"{size_mb:,.0f} MB NDJSON"
        )
        print(
            f"demo-data: {summary.seconds:.1f} s "
            f"({args.patients / summary.seconds:,.0f} patients/s, "
            f"{rows / summary.seconds:,.0f} resources/s)"
        )
        warm_page_cache(data)

        files = [f"{rt}.ndjson" for rt in file_types(args.format)]
        ingest = [str(TRE), "lake", "ingest", "fhir", str(data), "--source", "bench", "--json"]
        if args.format == "jp-clins":
            ingest += ["--linkage-system", INSURANCE_MEMBER_SYSTEM]
        ours_runs: list[Run] = []
        base_runs: list[Run] = []
        for round_no in range(args.repeat):  # alternating, so drifts in load hit both
            inherited = {
                k: v for k, v in os.environ.items() if k not in ("TRE_USER", "TRE_HUB_TOKEN")
            }
            env = {**inherited, "TRE_HOME": str(home / str(round_no))}
            measure([str(TRE), "init"], env)
            # The command line acts as the TRE account its operating-system account is mapped to.
            account = pwd.getpwuid(os.geteuid()).pw_name
            (home / str(round_no) / "tre.toml").write_text(f'cli_accounts = ["{account}:bench"]\n')
            measure([str(TRE), "user", "add", "bench", "--role", "admin"], env)  # the first admin
            base_runs.append(
                measure([sys.executable, "-c", BASELINE, str(data), str(copies), *files], env)
            )
            ours_runs.append(measure(ingest, env))
            shutil.rmtree(home / str(round_no))
        try:
            report = json.loads(ours_runs[-1].stdout)
        except json.JSONDecodeError:
            report = {}
        lake_rows = report.get("rows") or report.get("total_rows")
        ours = statistics.median(r.seconds for r in ours_runs)
        base = statistics.median(r.seconds for r in base_runs)
        ours_rss = max(r.max_rss_mb for r in ours_runs)
        base_rss = max(r.max_rss_mb for r in base_runs)

        def each(runs: list[Run]) -> str:
            return ", ".join(f"{r.seconds:.2f}" for r in runs)

        print(
            f"ours: tre lake ingest fhir: {ours:.2f} s (runs: {each(ours_runs)}), "
            f"{rows / ours:,.0f} rows/s, peak RSS {ours_rss:,.0f} MB"
            + (f", lake rows {lake_rows}" if lake_rows else "")
        )
        print(
            f"baseline: DuckDB read_json -> Parquet: {base:.2f} s (runs: {each(base_runs)}), "
            f"{rows / base:,.0f} rows/s, peak RSS {base_rss:,.0f} MB"
        )
        ratio = ours / base
        print(f"ratio of medians: {ratio:.2f} (target <= {TARGET_RATIO})")
        print("bench-result: " + json.dumps({
            "name": "ingest" if args.format == "bulk" else f"ingest-{args.format}",
            "ratio": round(ratio, 3),
            "target": TARGET_RATIO,
            "patients": args.patients,
            "resources": rows,
            "repeat": args.repeat,
            "ours_s": round(ours, 3),
            "baseline_s": round(base, 3),
            "ours_peak_rss_mb": round(ours_rss),
            "baseline_peak_rss_mb": round(base_rss),
        }))  # fmt: skip
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
