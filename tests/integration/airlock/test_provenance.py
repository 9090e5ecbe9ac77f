"""A table with a provenance sidecar: its query is re-run on the extract at the airlock."""

from __future__ import annotations

import hashlib
import json
import re

import duckdb
import pytest
from portal_client import client_for, csrf

from tre.airlock import service, views
from tre.airlock.intake import IntakeRefused
from tre.config import Settings, load_settings
from tre.errors import NotFound

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


def _submitted(settings: Settings, rid: str) -> None:
    service.set_group(settings, "lena", rid, "main", "ctx", "ctl")
    service.submit(settings, "lena", rid)


def test_verified_sidecar(world: World) -> None:
    settings, project = world
    rid = _with_sidecar(settings, project, "sex,n\nF,200\nM,100\n")
    _submitted(settings, rid)
    f = views.read_file(settings, "chk1", rid, "by_sex.csv").summary
    assert f["report"]["provenance"] == "verified"
    assert f["report"]["sidecar"]["sql"] == SQL
    assert views.show(settings, "lena", rid)["files"] == 1  # the sidecar is not a file of its own


def test_figures_that_differ_are_blocked_and_shown(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, project = world
    rid = _with_sidecar(settings, project, "sex,n\nF,250\nM,100\n")
    _submitted(settings, rid)
    f = views.read_file(settings, "chk1", rid, "by_sex.csv").summary
    assert f["report"]["provenance"] == "differs" and f["verdict"] == "block"
    monkeypatch.setenv("TRE_PORTAL_TEST_LOGIN_INSECURE", "1")
    client = client_for(load_settings(), "chk1")
    page = client.get(f"/requests/{rid}/view/by_sex.csv").text
    assert "Differs from the figures re-computed on the extract" in page
    assert SQL in page.replace("&#39;", "'")
    assert "<mark>250</mark>" in page


def test_sidecar_is_never_released_or_served(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sidecar is read with its table, but adding it, viewing it or downloading it
    through the service or the portal is refused, and the release holds only the table."""
    settings, project = world
    rid = _with_sidecar(settings, project, "sex,n\nF,200\nM,100\n")
    sidecar = "by_sex.csv.tre.json"
    with pytest.raises(IntakeRefused) as err:
        service.add_files(settings, "lena", rid, [sidecar])
    assert err.value.code == "sidecar"
    monkeypatch.setenv("TRE_PORTAL_TEST_LOGIN_INSECURE", "1")
    lena = client_for(load_settings(), "lena")
    page = lena.get(f"/requests/{rid}").text
    offered = re.search(rf'<input[^>]*value="{re.escape(sidecar)}"[^>]*>', page)
    assert offered and "disabled" in offered.group(0)
    r = lena.post(f"/requests/{rid}/files", data={"paths": sidecar, "csrf": csrf(page)})
    assert r.status_code == 400 and "never released" in r.text
    service.set_group(settings, "lena", rid, "main", "ctx", "ctl")
    service.submit(settings, "lena", rid)
    for checker in ("chk1", "chk2"):
        service.review(settings, checker, rid, {"by_sex.csv": "approve"})
    assert service.decide(settings, "chk1", rid, "approve")["status"] == "released"
    path = views.read_file(settings, "lena", rid, "by_sex.csv", released_only=True).location
    release_dir = path.parent
    assert sorted(p.name for p in release_dir.rglob("*") if p.is_file()) == ["by_sex.csv"]
    manifest = json.loads((release_dir.parent / "manifest.json").read_text())
    assert [f["path"] for f in manifest["files"]] == ["by_sex.csv"]
    for url in (f"/releases/{rid}/{sidecar}", f"/requests/{rid}/raw/{sidecar}",
                f"/requests/{rid}/view/{sidecar}"):  # fmt: skip
        assert lena.get(url).status_code == 404
    with pytest.raises(NotFound):
        views.read_file(settings, "lena", rid, sidecar, released_only=True)
