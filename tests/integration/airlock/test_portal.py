"""The portal over HTTP (FastAPI TestClient, real database and policy)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from portal_client import COUNTS, client_for, csrf

from tre.airlock import service, views
from tre.config import Settings
from tre.web.app import create_app

World = tuple[Settings, str]


def _released(
    settings: Settings, project: str, text: str = COUNTS, name: str = "counts.csv"
) -> str:
    (settings.workspaces_path / project / "outputs" / name).write_text(text)
    rid = str(service.create(settings, "lena", project, "Counts")["id"])
    service.add_files(settings, "lena", rid, [name])
    service.set_group(settings, "lena", rid, "main", "ctx", "ctl")
    service.submit(settings, "lena", rid)
    for chk in ("chk1", "chk2"):
        service.review(settings, chk, rid, {name: "approve"})
    service.decide(settings, "chk1", rid, "approve")
    return rid


def test_test_login_is_off_by_default(world: World) -> None:
    settings, _ = world
    client = TestClient(create_app(settings))
    assert client.post("/test-login", data={"username": "ada"}).status_code == 404
    assert client.get("/requests", follow_redirects=False).headers["location"].startswith("/login")


def test_public_register_needs_no_login_and_shows_no_contents(portal: World) -> None:
    settings, project = portal
    rid = _released(settings, project)
    page = client_for(settings, None).get("/register")
    assert page.status_code == 200 and rid in page.text and "counts.csv" in page.text
    assert views.register(settings)[0]["files"][0]["sha256"] in page.text
    assert "F,150" not in page.text and "150" not in page.text.split("Released outputs")[-1]
    assert "script-src" not in page.headers["content-security-policy"]
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_analyst_creates_adds_and_submits_through_forms(portal: World) -> None:
    settings, project = portal
    (settings.workspaces_path / project / "outputs" / "counts.csv").write_text(COUNTS)
    lena = client_for(settings, "lena")
    page = lena.get("/requests")
    r = lena.post("/requests", data={"project_id": project, "title": "T", "csrf": csrf(page.text)})
    url = r.headers["location"] if r.status_code == 303 else str(r.url)
    page = lena.get(url)
    assert "counts.csv" in page.text  # offered from outputs/
    token = csrf(page.text)
    lena.post(f"{url}/files", data={"paths": "counts.csv", "csrf": token})
    page = lena.get(url)
    assert "no issues found" in page.text or "needs review" in page.text
    lena.post(f"{url}/group", data={"name": "main", "context": "c", "controls": "k", "csrf": token})
    lena.post(f"{url}/submit", data={"csrf": token})
    assert "in_review" in lena.get(url).text


def test_forms_without_csrf_are_refused(portal: World) -> None:
    settings, project = portal
    lena = client_for(settings, "lena")
    r = lena.post("/requests", data={"project_id": project, "title": "T", "csrf": "bad"})
    assert r.status_code == 400 and views.list_requests(settings, "lena") == []


def test_author_sees_review_disabled_with_reason(portal: World) -> None:
    settings, project = portal
    (settings.workspaces_path / project / "outputs" / "counts.csv").write_text(COUNTS)
    rid = str(service.create(settings, "lena", project, "Counts")["id"])
    service.add_files(settings, "lena", rid, ["counts.csv"])
    service.set_group(settings, "lena", rid, "main", "ctx", "ctl")
    service.submit(settings, "lena", rid)
    lena = client_for(settings, "lena")  # an output checker too
    page = lena.get(f"/requests/{rid}").text
    assert re.search(r"<button[^>]*disabled[^>]*>Submit review", page)
    assert "the author of a request never reviews it" in page
    r = lena.post(
        f"/requests/{rid}/review", data={"vote:counts.csv": "approve", "csrf": csrf(page)}
    )
    assert r.status_code == 403 and "never reviews" in r.text


def test_flagged_cells_are_highlighted_beside_their_finding(portal: World) -> None:
    settings, project = portal
    (settings.workspaces_path / project / "outputs" / "small.csv").write_text("sex,n\nF,3\nM,297\n")
    rid = str(service.create(settings, "lena", project, "Small")["id"])
    service.add_files(settings, "lena", rid, ["small.csv"])
    page = client_for(settings, "appy").get(f"/requests/{rid}/view/small.csv")
    assert page.status_code == 403  # not a member, checker or admin
    page = client_for(settings, "lena").get(f"/requests/{rid}/view/small.csv").text
    assert "<mark>3</mark>" in page and 'id="finding-1"' in page


def test_svg_and_html_never_inline(portal: World) -> None:
    settings, project = portal
    monkey = settings.workspaces_path / project / "outputs" / "plot.svg"
    monkey.write_text('<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>')
    rid = str(service.create(settings, "lena", project, "Plot")["id"])
    lena = client_for(settings, "lena")
    # The standard tier does not accept SVG at all: the refusal is shown with its reason.
    page = lena.get(f"/requests/{rid}")
    r = lena.post(f"/requests/{rid}/files", data={"paths": "plot.svg", "csrf": csrf(page.text)})
    assert r.status_code == 400 and "not accepted" in r.text
    assert lena.get(f"/requests/{rid}/raw/plot.svg").status_code == 404


def test_download_then_revoke(portal: World) -> None:
    settings, project = portal
    rid = _released(settings, project)
    lena = client_for(settings, "lena")
    r = lena.get(f"/releases/{rid}/counts.csv")
    assert r.status_code == 200 and r.text == COUNTS
    assert r.headers["content-type"] == "application/octet-stream"
    assert "attachment" in r.headers["content-disposition"]
    assert client_for(settings, "chk1").get(f"/releases/{rid}/counts.csv").status_code == 403
    service.revoke(settings, "chk1", rid, "later found disclosive")
    r = lena.get(f"/releases/{rid}/counts.csv")
    assert r.status_code == 403 and "revoked" in r.text


def test_japanese_by_accept_language_and_switch(portal: World) -> None:
    settings, _project = portal
    client = client_for(settings, None)
    ja = client.get("/register", headers={"Accept-Language": "ja,en;q=0.5"}).text
    assert '<html lang="ja">' in ja and "公開登録簿" in ja
    en = client.get("/register?lang=en", headers={"Accept-Language": "ja"}).text
    assert '<html lang="en">' in en and "Public register" in en


def test_admin_page_for_admins_only(portal: World) -> None:
    settings, project = portal
    assert project in client_for(settings, "ada").get("/admin").text
    r = client_for(settings, "lena").get("/admin")
    assert r.status_code == 403 and "only admins" in r.text
