"""The data access body's journeys in Chromium, each page checked with axe-core:

1. through a real JupyterHub (its OAuth, its proxy, Docker workspaces): a researcher applies
   (a mistake first, shown next to its field), the approver asks, the researcher answers, the
   approver approves with narrower terms, an admin provisions in the background, and the
   researcher, told by a notice, opens the workspace from the portal: JupyterLab starts;
2. a patient proves who they are with a data holder's one-time code (a wrong one first),
   sees the project that used their records, and opts out;
3. an admin adds an account (a mistake first).

With TRE_RECORD_SCREENSHOTS=1 the walks are recorded in docs/img/ (dab-*.png).
"""

from __future__ import annotations

import os
import re
import secrets
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tre.config import Settings

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration" / "dab"))
sys.path.insert(0, str(ROOT / "tests" / "integration" / "workspace"))
PASSWORD = "correct-horse-battery"


class Shots:
    def __init__(self, tmp_path: Path) -> None:
        record = os.environ.get("TRE_RECORD_SCREENSHOTS") == "1"
        self.dir = ROOT / "docs" / "img" if record else tmp_path / "img"
        self.dir.mkdir(parents=True, exist_ok=True)

    def take(self, page: Any, name: str, focus: Any = None) -> None:
        if focus is not None:
            focus.evaluate("e => e.scrollIntoView({block: 'center'})")
        path = self.dir / f"dab-{name}.png"
        page.screenshot(path=str(path))
        assert path.stat().st_size < 250_000, f"{path.name} is too large for the docs"


def accessible(page: Any) -> None:
    """No serious or critical axe-core violation on the page as it stands."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [
        (v["id"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"accessibility violations on {page.url}: {bad}"


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dab_world import build_template

    return build_template(tmp_path_factory.mktemp("dab-e2e-lake"))


def _people(settings: Settings) -> None:
    from dab_world import PEOPLE

    from tre import users

    users.add_user(settings, "ada", "ada", ["admin"])
    for name, roles in PEOPLE.items():
        if name != "ada":
            users.add_user(settings, "ada", name, roles)


@pytest.fixture
def hub_site(lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The TRE as `tre up` runs it: hub (shared password), portal service, Docker workspaces."""
    import shutil

    from ws_hub import TEST_LABELS, cleanup_by_label, docker_client, free_port

    from tre.config import load_settings
    from tre.db import dispose_engines, init_db
    from tre.workspace.hub import HubOptions
    from tre.workspace.launcher import running_hub

    image = os.environ.get("TRE_TEST_WORKSPACE_IMAGE", "tre-workspace:latest")
    if not docker_client().images.list(name=image):
        pytest.fail(f"workspace image {image} is missing: run `tre image build` first")
    home = tmp_path / "home"
    shutil.copytree(lake, home, symlinks=True)
    for name, value in {
        "TRE_HOME": str(home),
        "TRE_HUB_PORT": str(free_port()),
        "TRE_PORTAL_PORT": str(free_port()),
        "TRE_WORKSPACE_IMAGE": image,
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    init_db(settings)
    _people(settings)
    tag = secrets.token_hex(3)
    options = HubOptions(
        gateway="",
        network_name=f"tre-t-{tag}",
        hub_api_port=free_port(),
        proxy_api_port=free_port(),
        auth="shared-password",
        shared_password=PASSWORD,
        container_prefix=f"tre-t-{tag}",
        container_labels=dict(TEST_LABELS),
        operator_interval_seconds=5,
    )
    try:
        with running_hub(settings, options, network_labels=dict(TEST_LABELS)) as hub:
            _wait_for_portal(hub.public_url)
            yield settings, hub
    finally:
        cleanup_by_label()
        dispose_engines()


def _wait_for_portal(base: str) -> None:
    import httpx

    for _ in range(300):
        try:
            if httpx.get(f"{base}/services/portal/register", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the portal did not start under the hub")


def _hub_user(browser: Any, base: str, user: str) -> Any:
    context = browser.new_context(viewport={"width": 1100, "height": 800}, locale="en-GB")
    page = context.new_page()
    page.goto(f"{base}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", PASSWORD)
    with page.expect_navigation():
        page.click("#login_submit")
    assert "/hub/login" not in page.url, f"the hub refused {user}'s sign-in"
    page.goto(f"{base}/services/portal/applications")  # signs in to the portal (hub OAuth)
    try:
        page.wait_for_selector("#whoami", timeout=20_000)
    except Exception:
        content = page.content()[:1500]
        raise AssertionError(f"not signed in to the portal at {page.url}: {content}") from None
    assert page.inner_text("#whoami") == user
    return page


def test_apply_ask_answer_approve_provision_and_start_the_workspace(
    browser: Any, hub_site: Any, tmp_path: Path
) -> None:
    _settings, hub = hub_site
    base = hub.public_url
    portal = f"{base}/services/portal"
    shots = Shots(tmp_path)

    lena = _hub_user(browser, base, "lena")
    lena.goto(f"{portal}/applications/new")
    lena.fill("#f-title", "Diabetes care by region")
    lena.fill("#f-organisation", "University of Example")
    lena.fill("#f-lay_summary", "Too short")
    lena.select_option("#f-purpose", "scientific_research")
    lena.fill("#f-purpose_description", "Compare care pathways for diabetes between regions.")
    lena.select_option("#f-lawful_basis", "public_interest")
    for column in ("person_id", "gender", "region", "birth_year_month"):
        lena.check(f"#c-demo-patient-{column}")
    lena.check("#c-demo-condition-code")
    lena.fill("#f-expected_outputs", "Aggregate tables by region.")
    lena.fill("#f-team", "ana")
    lena.fill("#f-period_start", "2025-01-01")
    lena.fill("#f-period_end", "2099-12-31")
    lena.click("#submit-application")
    assert "Write at least 20 characters." in lena.inner_text("#f-lay_summary-error")
    assert lena.input_value("#f-title") == "Diabetes care by region"  # kept as typed
    assert lena.is_checked("#c-demo-patient-region")
    accessible(lena)
    shots.take(lena, "1-apply-problem", lena.locator("#f-lay_summary"))
    lena.fill("#f-lay_summary", "How diabetes care differs between regions of Japan.")
    lena.click("#submit-application")
    lena.wait_for_url(re.compile(r".*/applications/p-1$"))
    assert "Submitted" in lena.inner_text("#status")
    accessible(lena)

    appy = _hub_user(browser, base, "appy")
    appy.goto(f"{portal}/review")
    appy.click("text=p-1: Diabetes care by region")
    appy.fill("#f-question", "Why do you need the month of birth?")
    accessible(appy)
    shots.take(appy, "2-review-ask", appy.locator("#f-question"))
    appy.click("#ask")
    assert "Returned with questions" in appy.inner_text("#status")

    lena.goto(f"{portal}/notices")
    assert "asked questions about application p-1" in lena.inner_text("#notices")
    lena.click("#notices a:has-text('p-1')")
    lena.fill("#f-answer", "To age patients in months; year would do. Removed.")
    lena.uncheck("#c-demo-patient-birth_year_month")
    accessible(lena)
    shots.take(lena, "3-answer", lena.locator("#f-answer"))
    lena.click("#send-answer")
    assert "Submitted" in lena.inner_text("#status")

    appy.goto(f"{portal}/applications/p-1")
    appy.uncheck("input[name=grant][value='demo.patient::region']")
    appy.fill("#f-valid_from", "2026-01-01")
    appy.fill("#f-reasons", "Proportionate; region not needed for the stated question.")
    shots.take(appy, "4-approve-terms", appy.locator("#approve"))
    appy.click("#approve")
    assert "Approved" in appy.inner_text("#status")

    ada = _hub_user(browser, base, "ada")
    ada.goto(f"{portal}/admin/projects/p-1")
    ada.click("#provision")
    assert "/admin/jobs/" in ada.url
    if ada.locator("#follow").count():  # still running: follow it as a reader may choose to
        accessible(ada)
        ada.click("#follow")
    ada.wait_for_selector("#job-result", timeout=120_000)
    assert "Finished" in ada.inner_text("#job-state")
    shots.take(ada, "5-provisioned")
    ada.goto(f"{portal}/admin/projects/p-1")
    assert "Persons" in ada.inner_text("#extract-status")
    accessible(ada)

    lena.goto(f"{portal}/notices")
    notices = lena.inner_text("#notices")
    assert "The permit for p-1 was granted" in notices and "is ready" in notices
    accessible(lena)
    shots.take(lena, "6-notices")
    lena.goto(f"{portal}/applications/p-1")
    lena.click("#open-workspace")
    lena.wait_for_url(re.compile(r".*/user/lena/p-1/lab.*"), timeout=180_000)
    lena.wait_for_selector(".jp-Launcher", timeout=120_000)  # JupyterLab has started
    shots.take(lena, "7-workspace")

    public = browser.new_context(viewport={"width": 1100, "height": 800}).new_page()
    public.goto(f"{portal}/register")
    entry = public.locator("#project-p-1")
    assert "Proportionate; region not needed" in entry.inner_text()
    assert "region" not in entry.locator("dd").nth(3).inner_text()  # what was granted
    assert "appy" not in public.content()
    accessible(public)
    shots.take(public, "8-register", entry)
    for page in (lena, appy, ada, public):
        page.context.close()


@pytest.fixture
def site(lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The portal alone (test sign-in) on a real lake, served by uvicorn on loopback."""
    import socket

    import uvicorn
    from dab_world import make_world

    from tre.db import dispose_engines
    from tre.web.app import create_app

    settings = make_world(lake, tmp_path / "home", monkeypatch)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(300):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started, "the portal did not start"
    yield settings, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    dispose_engines()


def _signed_in(browser: Any, base: str, user: str, locale: str = "en-GB") -> Any:
    context = browser.new_context(viewport={"width": 1100, "height": 800}, locale=locale)
    page = context.new_page()
    page.goto(f"{base}/test-login")
    page.fill("#username", user)
    page.click("button[type=submit]")
    page.wait_for_selector("#whoami")
    return page


def test_a_patient_sees_their_use_and_opts_out(
    browser: Any, site: Any, lake: Path, tmp_path: Path
) -> None:
    from dab_world import application_form, client, patient_ids
    from test_apply_pages import submit

    from tre import projects
    from tre.extract import service

    settings, base = site
    submit(client(settings, "lena"), application_form())
    projects.approve(settings, "appy", "p-1", reason="Sound.")
    service.provision(settings, "p-1", "ada")
    shots = Shots(tmp_path)

    hosp = _signed_in(browser, base, "hosp")
    hosp.goto(f"{base}/admin/patient-codes")
    hosp.select_option("#f-source", "demo")
    hosp.fill("#f-identifier", patient_ids(lake, 1)[0])
    hosp.click("#issue-code")
    code = hosp.inner_text("#issued-code")
    accessible(hosp)
    hosp.context.close()

    context = browser.new_context(viewport={"width": 1100, "height": 800}, locale="ja-JP")
    patient = context.new_page()
    patient.goto(f"{base}/patients")
    patient.fill("#f-code", "ABCD-EFGH-JKMN")
    patient.click("#check-code")
    assert "そのコードは使えません" in patient.inner_text("#f-code-error")
    accessible(patient)
    shots.take(patient, "9-patient-wrong-code-ja")
    patient.fill("#f-code", code)
    patient.click("#check-code")
    assert "p-1" in patient.inner_text("#uses")
    accessible(patient)
    patient.click("#record-optout")
    assert "オプトアウトしました" in patient.inner_text("#optout-status")
    shots.take(patient, "10-patient-opted-out-ja")
    patient.click("#withdraw-optout")
    assert "オプトアウトしていません" in patient.inner_text("#optout-status")
    patient.click("#patient-signout")
    patient.goto(f"{base}/patients/me")
    assert patient.url.endswith("/patients")  # the session has ended
    patient.context.close()


def test_an_admin_adds_an_account(browser: Any, site: Any, tmp_path: Path) -> None:
    _settings, base = site
    shots = Shots(tmp_path)
    ada = _signed_in(browser, base, "ada")
    ada.goto(f"{base}/admin/users")
    ada.fill("#f-username", "Kai Tanaka")
    ada.fill("#f-email", "kai(at)example.org")
    ada.click("#save-account")
    assert "That is not a valid username." in ada.inner_text("#f-username-error")
    assert "That is not an e-mail address." in ada.inner_text("#f-email-error")
    assert "Choose at least one role." in ada.inner_text("#f-roles-error")
    assert ada.input_value("#f-email") == "kai(at)example.org"
    accessible(ada)
    shots.take(ada, "11-account-problems", ada.locator("#error-summary"))
    ada.fill("#f-username", "kai")
    ada.fill("#f-email", "kai@example.org")
    ada.check("#role-analyst")
    # The keyboard alone saves the form: the button takes the focus and Enter presses it.
    ada.focus("#save-account")
    ada.keyboard.press("Enter")
    ada.wait_for_selector("#saved")
    assert "kai@example.org" in ada.inner_text("#people")
    accessible(ada)
    ada.context.close()
