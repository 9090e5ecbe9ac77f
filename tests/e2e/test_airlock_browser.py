"""The airlock in a real browser: an analyst submits, two checkers review, the analyst
downloads the release; a row-level file is shown blocked with its reason and its content to
no one; a checker sees flagged cells marked; a checker cannot review their own request.
With TRE_RECORD_SCREENSHOTS=1 the walk is recorded in docs/img/."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tre.config import Settings, load_settings
from tre.db import dispose_engines, init_db
from tre.web.app import create_app

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration" / "airlock"))
COUNTS = "sex,n\nF,150\nM,150\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Settings, str, str]]:
    from airlock_world import PERSON_IDS, build

    monkeypatch.setenv("TRE_PORTAL_TEST_LOGIN_INSECURE", "1")
    settings = load_settings()
    init_db(settings)
    project = build(settings, tmp_path, monkeypatch)
    outputs = settings.workspaces_path / project / "outputs"
    (outputs / "counts_by_sex.csv").write_text(COUNTS)
    (outputs / "codes.csv").write_text("code,n\n" + "".join(f"{p},12\n" for p in PERSON_IDS[:40]))
    (outputs / "small_counts.csv").write_text("sex,n\nF,3\nM,297\n")
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the portal did not start"
    yield settings, project, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    dispose_engines()


class Shots:
    def __init__(self, tmp_path: Path) -> None:
        record = os.environ.get("TRE_RECORD_SCREENSHOTS") == "1"
        self.dir = ROOT / "docs" / "img" if record else tmp_path / "img"
        self.dir.mkdir(parents=True, exist_ok=True)

    def take(self, page: Any, name: str, focus: Any = None) -> None:
        if focus is not None:  # bring what the shot is about to the middle of the view
            focus.evaluate("e => e.scrollIntoView({block: 'center'})")
        path = self.dir / f"airlock-{name}.png"
        page.screenshot(path=str(path))
        assert path.stat().st_size < 200_000, f"{path.name} is too large for the docs"


def _signed_in(browser: Any, base: str, user: str) -> Any:
    context = browser.new_context(
        viewport={"width": 1100, "height": 760}, accept_downloads=True, locale="en-GB"
    )
    page = context.new_page()
    page.goto(f"{base}/test-login")
    page.fill("#username", user)
    page.click("button[type=submit]")
    page.wait_for_selector("#whoami")
    assert page.inner_text("#whoami") == user
    return page


def test_submit_review_release_download(
    browser: Any, site: tuple[Settings, str, str], tmp_path: Path
) -> None:
    _settings, _project, base = site
    shots = Shots(tmp_path)

    lena = _signed_in(browser, base, "lena")
    lena.goto(f"{base}/requests")
    lena.fill("#title", "Patients by sex")
    lena.click("#create-request")
    lena.check("input[value='counts_by_sex.csv']")
    lena.click("#add-selected")
    lena.fill("#context-1", "Number of patients by recorded sex.")
    lena.fill("#controls-1", "Every count is at least 10; no small cells.")
    lena.click("text=Save context and controls")
    assert "no issues found" in lena.inner_text("tr.file-row")
    shots.take(lena, "1-draft")
    lena.click("text=Submit for review")
    assert "in_review" in lena.inner_text("#status")
    request_url = lena.url

    # The author is an output checker too, yet the review button is disabled with the reason.
    button = lena.locator("button", has_text="Submit review")
    assert button.is_disabled()
    assert "the author of a request never reviews it" in lena.inner_text("#why-review")
    shots.take(lena, "2-author-cannot-review", button)

    for checker in ("chk1", "chk2"):
        page = _signed_in(browser, base, checker)
        page.goto(f"{base}/queue")
        page.click("text=Patients by sex")
        page.click("text=counts_by_sex.csv")
        assert "150" in page.inner_text("table.data")
        if checker == "chk1":
            shots.take(page, "3-checker-views-file")
        page.goto(request_url)
        page.check("input[name='vote:counts_by_sex.csv'][value=approve]")
        page.click("button:has-text('Submit review')")
        if checker == "chk2":
            page.fill("#d-comment", "Counts are safe.")
            page.click("button:has-text('Approve and release')")
            assert "released" in page.inner_text("#status")
            shots.take(page, "4-released")
        page.context.close()

    lena.goto(request_url)
    with lena.expect_download() as info:
        lena.click("a:has-text('Download')")
    saved = tmp_path / "downloaded.csv"
    info.value.save_as(saved)
    assert saved.read_text() == COUNTS

    public = browser.new_context(viewport={"width": 1100, "height": 760}).new_page()
    public.goto(f"{base}/register")
    assert "counts_by_sex.csv" in public.content() and "F,150" not in public.content()
    shots.take(public, "5-public-register")
    public.context.close()
    lena.context.close()


def test_row_level_file_is_shown_blocked_with_its_reason(
    browser: Any, site: tuple[Settings, str, str], tmp_path: Path
) -> None:
    from airlock_world import PERSON_IDS

    _settings, _project, base = site
    lena = _signed_in(browser, base, "lena")
    lena.goto(f"{base}/requests")
    lena.fill("#title", "Codes")
    lena.click("#create-request")
    lena.check("input[value='codes.csv']")
    lena.click("#add-selected")
    row = lena.inner_text("tr.file-row")
    assert "blocked" in row
    findings = lena.locator("ul.findings li.sev-block")
    assert findings.count() >= 1 and findings.first.inner_text().strip()
    shots = Shots(tmp_path)
    shots.take(lena, "6-row-level-blocked", findings.first)
    # Its content stays in the workspace: the name is no link, and the page is refused.
    assert lena.locator("tr.file-row a:has-text('codes.csv')").count() == 0
    response = lena.goto(f"{lena.url}/view/codes.csv")
    assert response is not None and response.status == 403
    assert PERSON_IDS[0] not in lena.content()
    lena.context.close()


def test_checker_sees_flagged_cells_marked(
    browser: Any, site: tuple[Settings, str, str], tmp_path: Path
) -> None:
    _settings, _project, base = site
    lena = _signed_in(browser, base, "lena")
    lena.goto(f"{base}/requests")
    lena.fill("#title", "Small counts")
    lena.click("#create-request")
    lena.check("input[value='small_counts.csv']")
    lena.click("#add-selected")
    lena.fill("#context-1", "Patients by sex.")
    lena.fill("#controls-1", "None yet.")
    lena.click("text=Save context and controls")
    lena.click("text=Submit for review")
    request_url = lena.url
    lena.context.close()
    checker = _signed_in(browser, base, "chk1")
    checker.goto(request_url)
    checker.click("a:has-text('small_counts.csv')")
    flagged = checker.locator("table.data .flagged")
    assert flagged.count() >= 1  # the cells the finding is about are marked
    assert checker.locator("#finding-1").inner_text().strip()
    Shots(tmp_path).take(checker, "7-flagged-in-table")
    checker.context.close()


def test_hostile_symlink_is_refused_in_the_browser(
    browser: Any, site: tuple[Settings, str, str], tmp_path: Path
) -> None:
    settings, project, base = site
    outputs = settings.workspaces_path / project / "outputs"
    (outputs / "extract.csv").symlink_to(settings.extracts_path / project / "current" / "data")
    lena = _signed_in(browser, base, "lena")
    lena.goto(f"{base}/requests")
    lena.fill("#title", "Link")
    lena.click("#create-request")
    checkbox = lena.locator("input[value='extract.csv']")
    assert checkbox.is_disabled()
    assert "Links and special files cannot be released." in lena.content()
    lena.context.close()
