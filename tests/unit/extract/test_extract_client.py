"""tre.client inside a workspace: read-only connection, discovery, light imports."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from lakefake import make_lake

from tre import client
from tre.extract.builder import BuildSpec, build_extract

GRANT = {"synthea.patient": ["person_id", "region"], "synthea.condition": ["person_id", "code"]}


@pytest.fixture
def extract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    lake = make_lake(tmp_path / "lake", persons=40)
    built = tmp_path / "build"
    build_extract(BuildSpec("p-1", lake, GRANT, b"s" * 32), built)
    mounted = tmp_path / "home" / "jovyan" / "data"  # as the workspace mounts it
    mounted.parent.mkdir(parents=True)
    shutil.copytree(built, mounted)
    shutil.rmtree(built)
    monkeypatch.setenv("TRE_DATA_DIR", str(mounted))
    monkeypatch.chdir(tmp_path)
    return mounted


def test_connect_reads_views_from_the_mounted_path(extract: Path) -> None:
    con = client.connect()
    assert con.execute("SELECT count(*) FROM synthea.patient").fetchall() == [(40,)]
    n = con.execute(
        "SELECT count(*) FROM synthea.condition JOIN synthea.patient USING (person_id)"
    ).fetchall()
    assert n == [(120,)]
    assert con.sql("SELECT region FROM synthea.patient").to_arrow_table().num_rows == 40


def test_connection_is_read_only(extract: Path) -> None:
    con = client.connect()
    with pytest.raises(duckdb.Error):
        con.execute("CREATE TABLE x AS SELECT 1")
    with pytest.raises(duckdb.Error):
        con.execute("DROP VIEW synthea.patient")


def test_tables_and_describe(extract: Path) -> None:
    assert client.tables() == ["synthea.condition", "synthea.patient"]
    info = client.describe("synthea.patient")
    assert info.description == "One row per person"
    assert [(c.name, c.type) for c in info.columns] == [
        ("person_id", "VARCHAR"),
        ("region", "VARCHAR"),
    ]
    assert info.columns[1].description == "Region of residence"
    assert "region" in str(info)
    with pytest.raises(KeyError):
        client.describe("synthea.claim")


def test_missing_extract_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRE_DATA_DIR", str(tmp_path / "nothing"))
    with pytest.raises(client.ExtractNotFound, match="no data mounted"):
        client.connect()


def test_client_imports_nothing_heavy() -> None:
    code = (
        "import sys; from tre import client; import tre.client; "
        "allowed = ('tre', 'duckdb', 'pyarrow', 'sqlglot', 'numpy', 'pandas', '_duckdb'); "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'pydantic', 'typer', 'rich', 'fastapi', 'jupyterhub', 'docker', "
        "'alembic', 'yaml', 'babel', 'jinja2', 'httpx') "
        "or (m.startswith('tre.') and not m.startswith('tre.client'))); print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
