"""The portal over HTTP (FastAPI TestClient, real database and policy)."""

from __future__ import annotations

import re

from airlock_world import reviewed, submitted
from portal_client import COUNTS, TestClient, client_for, csrf
from sqlalchemy import select

from tre.airlock import service, views
from tre.config import Settings
from tre.db import Permit, session_scope
from tre.web.app import create_app

World = tuple[Settings, str]


def _released(
    settings: Settings, project: str, text: str = COUNTS, name: str = "counts.csv"
) -> str:
    rid = reviewed(settings, project, {name: text})
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
    rid = submitted(settings, project)
    lena = client_for(settings, "lena")  # an output checker too
    page = lena.get(f"/requests/{rid}").text
    assert re.search(r"<button[^>]*disabled[^>]*>Submit review", page)
    assert "the author of a request never reviews it" in page
    r = lena.post(
        f"/requests/{rid}/review", data={"vote:counts.csv": "approve", "csrf": csrf(page)}
    )
    assert r.status_code == 403 and "never reviews" in r.text


def _small(settings: Settings, project: str, submit: bool = False) -> str:
    (settings.workspaces_path / project / "outputs" / "small.csv").write_text("sex,n\nF,3\nM,297\n")
    rid = str(service.create(settings, "lena", project, "Small")["id"])
    service.add_files(settings, "lena", rid, ["small.csv"])
    if submit:
        service.set_group(settings, "lena", rid, "main", "ctx", "ctl")
        service.submit(settings, "lena", rid)
    return rid


def test_flagged_cells_are_highlighted_beside_their_finding(portal: World) -> None:
    settings, project = portal
    rid = _small(settings, project, submit=True)
    page = client_for(settings, "appy").get(f"/requests/{rid}/view/small.csv")
    assert page.status_code == 403  # not a member, checker or admin
    # The policy's reason, in the reader's language.
    ja = client_for(settings, "appy").get(f"/requests/{rid}/view/small.csv?lang=ja").text
    assert "申請を見られるのは、作成者、プロジェクトのメンバー、出力審査者、管理者だけです" in ja
    assert "airlock.read_file は許可されていません。" in ja and "only the author" not in ja
    page = client_for(settings, "chk1").get(f"/requests/{rid}/view/small.csv").text
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
    assert lena.get(f"/requests/{rid}/raw/plot.svg").status_code == 403


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


def test_errors_from_the_services_read_in_the_pages_language(portal: World) -> None:
    settings, _project = portal
    lena = client_for(settings, "lena")
    ja = lena.get("/requests/9999?lang=ja")
    assert ja.status_code == 404 and "持ち出し申請 9999 はありません。" in ja.text
    en = lena.get("/requests/9999?lang=en")
    assert en.status_code == 404 and "There is no release request 9999." in en.text


def test_admin_page_shows_a_permits_cohort_filter(portal: World) -> None:
    settings, project = portal
    with session_scope(settings) as session:
        permit = session.execute(select(Permit).where(Permit.project_id == project)).scalar_one()
        permit.cohort_filter = "region IN ('Tokyo', 'Osaka')"
    ada = client_for(settings, "ada")
    assert "Cohort filter: <code>region IN (&#39;Tokyo&#39;, &#39;Osaka&#39;)</code>" in (
        ada.get("/admin?lang=en").text
    )
    assert "コホート条件: <code>region IN" in ada.get("/admin?lang=ja").text


def test_states_and_codes_are_shown_as_labels_in_both_languages(portal: World) -> None:
    settings, project = portal
    rid = _released(settings, project)
    (settings.workspaces_path / project / "outputs" / "small.csv").write_text("sex,n\nF,3\nM,297\n")
    draft = str(service.create(settings, "lena", project, "Small")["id"])
    service.add_files(settings, "lena", draft, ["small.csv"])
    lena = client_for(settings, "lena")
    en = lena.get(f"/requests/{draft}?lang=en").text
    assert re.search(r'class="status status-draft">Draft<', en)
    assert "<strong>Blocks release</strong>" in en
    ja = lena.get(f"/requests/{draft}?lang=ja").text
    assert re.search(r'class="status status-draft">下書き<', ja) and "公開不可" in ja
    assert re.search(r'class="status status-released">公開済み<', lena.get(f"/requests/{rid}").text)
    public = client_for(settings, None)
    register = public.get("/register?lang=en").text
    assert "Scientific research" in register and ">scientific_research<" not in register
    assert "学術研究" in public.get("/register?lang=ja").text


def test_submit_is_disabled_with_the_reason_until_groups_are_described(portal: World) -> None:
    settings, project = portal
    (settings.workspaces_path / project / "outputs" / "counts.csv").write_text(COUNTS)
    rid = str(service.create(settings, "lena", project, "Counts")["id"])
    lena = client_for(settings, "lena")
    assert "The request has no files." in lena.get(f"/requests/{rid}").text
    service.add_files(settings, "lena", rid, ["counts.csv"])
    page = lena.get(f"/requests/{rid}").text
    assert re.search(r"<button[^>]*disabled[^>]*>Submit for review", page)
    assert "Every group needs its context and controls" in page
    service.set_group(settings, "lena", rid, "main", "ctx", "ctl")
    page = lena.get(f"/requests/{rid}").text
    assert not re.search(r"<button[^>]*disabled[^>]*>Submit for review", page)


def test_findings_are_shown_in_the_readers_language(portal: World) -> None:
    settings, project = portal
    rid = _small(settings, project, submit=True)
    # The author on the request page, a checker on the file's page.
    for user, path in (("lena", f"/requests/{rid}"), ("chk1", f"/requests/{rid}/view/small.csv")):
        client = client_for(settings, user)
        assert "1 cells count fewer than 10 people" in client.get(f"{path}?lang=en").text
        ja = client.get(f"{path}?lang=ja").text
        assert "1 セルの人数または件数が 10 未満です" in ja
        assert "cells count fewer than" not in ja
