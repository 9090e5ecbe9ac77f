"""A table with a provenance sidecar: its query is re-run on the extract at the airlock."""

from __future__ import annotations

import hashlib
import json
import warnings

import duckdb
import pytest

from tre.airlock import service, views
from tre.config import Settings, load_settings
from tre.web.app import create_app

with warnings.catch_warnings():  # starlette warns that it prefers httpx2 (not installed)
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

World = tuple[Settings, str]
SQL = "SELECT sex, count(*) AS n FROM patients GROUP BY sex ORDER BY sex"


def _catalog(settings: Settings, project: str) -> None:
    current = settings.extracts_path / project / "current"
    con = duckdb.connect(str(current / "catalog.duckdb"))
    con.execute(f"SET file_search_path = '{current}'")
    con.execute("CREATE VIEW patients AS SELECT * FROM read_parquet('data/patients.parquet')")
    con.close()


def _with_sidecar(settings: Settings, project: str, text: str) -> str:
    _catalog(settings, project)
    outputs = settings.workspaces_path / project / "outputs"
    (outputs / "by_sex.csv").write_text(text)
    sidecar = {
        "kind": "table",
        "sql": SQL,
        "output_sha256": hashlib.sha256(text.encode()).hexdigest(),
    }
    (outputs / "by_sex.csv.tre.json").write_text(json.dumps(sidecar))
    rid = str(service.create(settings, "lena", project, "By sex")["id"])
    service.add_files(settings, "lena", rid, ["by_sex.csv"])
    return rid


def test_verified_sidecar(world: World) -> None:
    settings, project = world
    rid = _with_sidecar(settings, project, "sex,n\nF,200\nM,100\n")
    f = views.file_for_view(settings, "lena", rid, "by_sex.csv")
    assert f["report"]["provenance"] == "verified"
    assert f["report"]["sidecar"]["sql"] == SQL
    assert views.show(settings, "lena", rid)["files"] == 1  # the sidecar is not a file of its own


def test_figures_that_differ_are_blocked_and_shown(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, project = world
    rid = _with_sidecar(settings, project, "sex,n\nF,250\nM,100\n")
    f = views.file_for_view(settings, "lena", rid, "by_sex.csv")
    assert f["report"]["provenance"] == "differs" and f["verdict"] == "block"
    monkeypatch.setenv("TRE_PORTAL_TEST_LOGIN_INSECURE", "1")
    client = TestClient(create_app(load_settings()))
    client.post("/test-login", data={"username": "lena", "next": "/"})
    page = client.get(f"/requests/{rid}/view/by_sex.csv").text
    assert "differs" in page and SQL.replace("*", "*") in page.replace("&#39;", "'")
    assert "<mark>250</mark>" in page
