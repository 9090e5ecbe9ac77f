"""Provenance: tre.client writes CSV + sidecar; the airlock re-executes and compares."""

import json
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tre.client.check import check as client_check
from tre.client.outputs import OutputError, crosstab, table
from tre.sdc.provenance import VerifyLimits, verify


@pytest.fixture
def extract(tmp_path: Path) -> Path:
    """A tiny extract: Parquet files and catalog.duckdb with views over them (relative paths)."""
    root = tmp_path / "extract"
    (root / "data").mkdir(parents=True)
    rng = np.random.default_rng(11)
    n = 1500
    persons = [f"{p:064x}" for p in rng.integers(10**6, 10**6 + 250, n)]
    pq.write_table(
        pa.table(
            {
                "person_id": persons,
                "region": rng.choice(
                    np.array(["Kanto", "Kinki", "Tohoku", "Shikoku"]),
                    n,
                    p=[0.45, 0.45, 0.097, 0.003],
                ),
                "sex": rng.choice(np.array(["F", "M"]), n),
                "cost": np.round(rng.lognormal(6, 1, n), 2),
            }
        ),
        root / "data" / "claim.parquet",
    )
    con = duckdb.connect(str(root / "catalog.duckdb"), config={"file_search_path": str(root)})
    con.execute("CREATE VIEW claim AS SELECT * FROM read_parquet('data/claim.parquet')")
    con.close()
    (root / "manifest.json").write_text(json.dumps({"build_id": "b-1", "project": "p-1"}))
    return root


@pytest.fixture
def con(extract: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(
        str(extract / "catalog.duckdb"), read_only=True, config={"file_search_path": str(extract)}
    )


def test_table_writes_csv_and_sidecar_and_verifies(
    tmp_path: Path, extract: Path, con: duckdb.DuckDBPyConnection
) -> None:
    out = table(
        "SELECT region, count(DISTINCT person_id) AS n FROM claim GROUP BY 1",
        "by_region",
        con=con,
        directory=tmp_path / "outputs",
    )
    sidecar = json.loads(Path(f"{out}.tre.json").read_text())
    assert sidecar["kind"] == "table" and "count(DISTINCT person_id)" in sidecar["sql"]
    assert (
        sidecar["extract"]["build_id"] == "b-1" and len(sidecar["extract"]["manifest_sha256"]) == 64
    )
    result = verify(out, f"{out}.tre.json", extract / "catalog.duckdb")
    assert result.status == "verified", result.findings


def test_figure_edited_after_computing_is_caught(
    tmp_path: Path, extract: Path, con: duckdb.DuckDBPyConnection
) -> None:
    out = crosstab(
        "claim",
        index="region",
        columns="sex",
        values="cost",
        aggfunc="mean",
        unit="person_id",
        name="mean_cost",
        con=con,
        directory=tmp_path,
    )
    lines = out.read_text().splitlines()
    cells = lines[2].split(",")
    cells[1] = str(float(cells[1]) + 0.5)
    lines[2] = ",".join(cells)
    out.write_text("\n".join(lines) + "\n")
    result = verify(out, f"{out}.tre.json", extract / "catalog.duckdb")
    assert result.status == "differs"
    header = lines[0].split(",")
    assert result.cells == [(1, header[1].strip('"'))]


def test_no_sidecar_is_unverified(tmp_path: Path, extract: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,n\nx,20\n")
    assert (
        verify(path, tmp_path / "x.csv.tre.json", extract / "catalog.duckdb").status == "unverified"
    )


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM '/etc/passwd'",
        "COPY claim TO '/tmp/leak.csv'",
        "ATTACH '/tmp/other.duckdb' AS o",
        "SELECT 1; DROP VIEW claim",
        "SELECT * FROM query('SELECT 1')",
        "SELECT getenv('HOME')",
        "INSTALL httpfs",
    ],
)
def test_hostile_sidecar_sql_is_refused(tmp_path: Path, extract: Path, sql: str) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a\n1\n")
    result = verify(
        path, {"kind": "table", "sql": sql, "parameters": {}}, extract / "catalog.duckdb"
    )
    assert result.status == "unverified"
    assert result.findings[0].severity == "block"
    assert not Path("/tmp/leak.csv").exists()


def test_external_access_is_off_even_for_allowed_looking_sql(tmp_path: Path, extract: Path) -> None:
    # A view in the catalogue pointing outside the extract cannot be read during verification.
    outside = tmp_path / "outside.parquet"
    pq.write_table(pa.table({"secret": [1]}), outside)
    evil = duckdb.connect(str(extract / "catalog.duckdb"))
    evil.execute(f"CREATE VIEW leak AS SELECT * FROM read_parquet('{outside}')")
    evil.close()
    path = tmp_path / "x.csv"
    path.write_text("secret\n1\n")
    result = verify(
        path,
        {"kind": "table", "sql": "SELECT * FROM leak", "parameters": {}},
        extract / "catalog.duckdb",
    )
    assert result.status == "unverified"


def test_time_limit_interrupts(tmp_path: Path, extract: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("n\n1\n")
    heavy = "SELECT count(*) AS n FROM claim a, claim b, claim c, claim d"
    result = verify(
        path,
        {"kind": "table", "sql": heavy, "parameters": {}},
        extract / "catalog.duckdb",
        VerifyLimits(seconds=0.2),
    )
    assert result.status == "unverified"
    assert "limit" in result.findings[-1].message


def test_verifier_computes_dominance_itself(
    tmp_path: Path, extract: Path, con: duckdb.DuckDBPyConnection
) -> None:
    out = crosstab(
        "SELECT * FROM claim",
        index=["region"],
        columns="sex",
        aggfunc="count",
        unit="person_id",
        name="people",
        con=con,
        directory=tmp_path,
    )
    sidecar_path = Path(f"{out}.tre.json")
    sidecar = json.loads(sidecar_path.read_text())
    sidecar["contributors"]["n_units"] = [999] * len(sidecar["contributors"]["n_units"])  # forged
    sidecar_path.write_text(json.dumps(sidecar))
    result = verify(out, sidecar_path, extract / "catalog.duckdb")
    assert result.status == "verified"
    assert result.cell_stats is not None
    assert min(result.cell_stats.column("n_units").to_pylist()) < 10  # Shikoku is small


def test_client_check_uses_the_sidecar(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    out = crosstab(
        "claim",
        index="region",
        columns="sex",
        values="cost",
        aggfunc="mean",
        unit="person_id",
        name="mean_cost",
        con=con,
        directory=tmp_path,
    )
    report = client_check(out)
    found = {f.rule for f in report.findings}
    assert "threshold" in found  # Shikoku has few people
    assert "contributors-unknown" not in found
    assert report.verdict == "block"


def test_client_refuses_bad_names_and_sql(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    outputs = tmp_path / "outputs"
    with pytest.raises(OutputError):
        table("SELECT 1", "../escape", con=con, directory=outputs)
    with pytest.raises(OutputError):
        table("COPY claim TO 'x.csv'", "x", con=con, directory=outputs)
    assert not outputs.exists() or list(outputs.iterdir()) == []


def test_client_imports_without_server_dependencies() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "for m in ['babel', 'pydantic', 'typer', 'rich', 'sqlalchemy', 'fastapi']:\n"
        "    sys.modules[m] = None\n"
        "from tre import client\n"
        "assert callable(client.check) and callable(client.crosstab) and callable(client.table)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_verified_statistics_feed_the_checks(
    tmp_path: Path, extract: Path, con: duckdb.DuckDBPyConnection
) -> None:
    from tre.sdc import SdcParams, check_file

    out = crosstab(
        "claim",
        index="region",
        columns="sex",
        values="cost",
        aggfunc="sum",
        unit="person_id",
        name="total_cost",
        con=con,
        directory=tmp_path,
    )
    result = verify(out, f"{out}.tre.json", extract / "catalog.duckdb")
    assert result.status == "verified"
    report = check_file(out, SdcParams(), result.context())
    found = {f.rule for f in report.findings}
    assert "threshold" in found and "contributors-unknown" not in found
