"""tre.client inside a workspace: read-only connection, discovery, light imports."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from lakefake import make_lake

from tre import client
from tre.extract.builder import BuildSpec, SourceDataset, build_extract

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


def _relabelled(lake: list[SourceDataset]) -> list[SourceDataset]:
    """The fake lake's patient table with descriptions as the real lake writes them."""
    patient = lake[0]
    columns = [
        replace(c, description="Region (state or prefecture) of residence.")
        if c.name == "region"
        else c
        for c in patient.columns
    ]
    described = replace(
        patient,
        columns=columns,
        description="One row per person: demographics, generalised birth and death month, region.",
    )
    return [described, *lake[1:]]


def test_describe_reads_descriptions_in_the_workspace_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = _relabelled(make_lake(tmp_path / "lake", persons=5))
    built = tmp_path / "build"
    build_extract(BuildSpec("p-1", lake, GRANT, b"s" * 32), built)
    con = client.connect(built)
    monkeypatch.delenv("TRE_LOCALE", raising=False)
    english = client.describe("synthea.patient", con)
    assert english.columns[1].description == "Region (state or prefecture) of residence."
    monkeypatch.setenv("TRE_LOCALE", "ja")
    japanese = client.describe("synthea.patient", con)
    region = japanese.columns[1].description
    assert region and region != english.columns[1].description
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", region)  # kana or kanji
    assert japanese.description and "1" in japanese.description  # 1人1行…
    assert japanese.columns[0].description == "Person pseudonym"  # no translation: English
    assert client.describe("synthea.patient", con, lang="en") == english
    # The views' own comments stay English, for any DuckDB tool.
    comment = con.execute(
        "SELECT comment FROM duckdb_columns() WHERE schema_name = 'synthea' "
        "AND table_name = 'patient' AND column_name = 'region'"
    ).fetchall()
    assert comment == [("Region (state or prefecture) of residence.",)]


def test_describe_in_japanese_on_an_extract_without_translations(
    extract: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with duckdb.connect(str(extract / "catalog.duckdb")) as con:  # as built before they existed
        con.execute("DROP TABLE main.tre_descriptions")
    monkeypatch.setenv("TRE_LOCALE", "ja")
    info = client.describe("synthea.patient")
    assert info.columns[1].description == "Region of residence"


def test_client_messages_in_the_workspace_language(
    extract: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRE_LOCALE", "ja")
    with pytest.raises(KeyError, match=r"client\.tables\(\)") as raised:
        client.describe("synthea.claim")
    assert "テーブル" in str(raised.value)
    monkeypatch.setenv("TRE_DATA_DIR", str(tmp_path / "nothing"))
    with pytest.raises(client.ExtractNotFound, match="TRE_DATA_DIR") as missing:
        client.connect()
    assert "管理者" in str(missing.value)


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
