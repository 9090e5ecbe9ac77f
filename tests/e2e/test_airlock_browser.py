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
    assert "In review" in lena.inner_text("#status")
    request_url = lena.url.split("?")[0]

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
            assert "Released" in page.inner_text("#status")
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
    response = lena.goto(f"{lena.url.split('?')[0]}/view/codes.csv")
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
    request_url = lena.url.split("?")[0]
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


def _submitted_in_service(settings: Settings, project: str, files: dict[str, str]) -> str:
    from airlock_world import draft

    from tre.airlock import service

    rid = draft(settings, project, files)
    service.submit(settings, "lena", rid)
    return rid


def _vote(page: Any, path: str, vote: str) -> None:
    page.check(f"input[name='vote:{path}'][value={vote}]")
    page.click("button:has-text('Submit review')")


def test_second_checker_sees_nothing_of_the_first_review(
    browser: Any, site: tuple[Settings, str, str], tmp_path: Path
) -> None:
    """The two-person rule: before voting, the second checker's page (request and queue) is
    the same whatever the first checker decided; disagreeing votes put the file in conflict,
    which a third checker settles."""
    settings, project, base = site
    shots = Shots(tmp_path)
    rid = _submitted_in_service(settings, project, {"counts_by_sex.csv": COUNTS})
    url = f"{base}/requests/{rid}"

    chk2 = _signed_in(browser, base, "chk2")
    chk2.goto(url)
    before = chk2.inner_html("main")
    assert "in_review" not in chk2.inner_text("main")  # states by label, in reasons too
    chk2.goto(f"{base}/queue")
    queue_before = chk2.inner_html("main")

    chk1 = _signed_in(browser, base, "chk1")
    chk1.goto(url)
    chk1.fill("#comment", "Please round the counts.")
    chk1.fill("#private_comment", "Borderline.")
    _vote(chk1, "counts_by_sex.csv", "changes_requested")
    assert chk1.inner_text("#notice").strip() == "Your review is recorded."

    chk2.goto(url)
    assert chk2.inner_html("main") == before  # no count, reason, comment, time or state
    chk2.goto(f"{base}/queue")
    assert chk2.inner_html("main") == queue_before
    chk2.goto(url)
    assert "Blind" in chk2.inner_text("#reviews")
    shots.take(chk2, "8-blind-review", chk2.locator("#reviews"))

    _vote(chk2, "counts_by_sex.csv", "approve")
    assert chk2.inner_text("#status") == "Reviews disagree"
    assert "Reviews disagree" in chk2.inner_text("tr.file-row td.review")
    approve = chk2.locator("button", has_text="Approve and release")
    assert approve.is_disabled()
    assert "not approved by their reviews" in chk2.inner_text("#why-approve")
    shots.take(chk2, "9-conflicted", chk2.locator("tr.file-row"))

    chk3 = _signed_in(browser, base, "chk3")
    chk3.goto(url)
    _vote(chk3, "counts_by_sex.csv", "approve")  # the further reviewer settles it
    assert chk3.inner_text("#status") == "Reviewed, awaiting a decision"
    chk3.click("button:has-text('Approve and release')")
    assert chk3.inner_text("#status") == "Released"
    for page in (chk1, chk2, chk3):
        page.context.close()


def test_a_blocked_file_is_approved_only_under_the_recorded_override(
    browser: Any, site: tuple[Settings, str, str], tmp_path: Path
) -> None:
    from airlock_world import PERSON_IDS

    from tre.airlock import service

    settings, project, base = site
    codes = "code,n\n" + "".join(f"{p},12\n" for p in PERSON_IDS[:40])
    rid = _submitted_in_service(settings, project, {"codes.csv": codes})
    for checker in ("chk1", "chk2"):
        service.review(settings, checker, rid, {"codes.csv": "approve"})
    chk1 = _signed_in(browser, base, "chk1")
    chk1.goto(f"{base}/requests/{rid}")
    assert chk1.locator("button", has_text="Approve and release").is_disabled()
    assert "override" in chk1.inner_text("#why-approve")
    ada = _signed_in(browser, base, "ada")
    ada.goto(f"{base}/requests/{rid}")
    ada.fill("#o-reason", "Codes are practice codes, not person identifiers.")
    ada.click("button:has-text('Record override')")
    ada.context.close()
    chk1.goto(f"{base}/requests/{rid}")
    note = chk1.inner_text("#override-note")
    assert "1 files that the automated checks block" in note and "ada" in note
    Shots(tmp_path).take(chk1, "10-override-shown", chk1.locator("#override-note"))
    chk1.click("button:has-text('Approve and release')")
    assert chk1.inner_text("#status") == "Released"
    chk1.context.close()


def test_analyst_mends_a_request(
    browser: Any, site: tuple[Settings, str, str], tmp_path: Path
) -> None:
    """Warned before submitting, the analyst removes the blocked file; returned, she replaces
    a file, and the checkers see which file changed since the round they returned."""
    from tre.airlock import service

    settings, project, base = site
    lena = _signed_in(browser, base, "lena")
    lena.goto(f"{base}/requests")
    lena.fill("#title", "Mended")
    lena.click("#create-request")
    lena.check("input[type=checkbox][value='counts_by_sex.csv']")
    lena.check("input[type=checkbox][value='codes.csv']")
    lena.click("#add-selected")
    assert lena.inner_text("#notice") == "Files added and checked."
    caveat = lena.inner_text("li.caveat-blocked")
    assert caveat.startswith("codes.csv: the automated checks block it")
    Shots(tmp_path).take(lena, "11-warned-before-submit", lena.locator("#caveats"))
    lena.click("button[aria-label='Remove codes.csv']")
    assert lena.inner_text("#notice") == "The file is removed from the request."
    assert lena.locator("li.caveat-blocked").count() == 0
    lena.fill("#context-1", "Patients by sex.")
    lena.fill("#controls-1", "Counts of at least 10.")
    lena.click("text=Save context and controls")
    lena.click("text=Submit for review")
    assert lena.inner_text("#notice").startswith("Submitted.")
    rid = lena.url.rsplit("/", 1)[-1].split("?")[0]

    service.review(settings, "chk1", rid, {"counts_by_sex.csv": "changes_requested"})
    service.review(settings, "chk2", rid, {"counts_by_sex.csv": "changes_requested"})
    service.decide(settings, "chk1", rid, "return", "Round to 5.")
    outputs = settings.workspaces_path / project / "outputs"
    (outputs / "counts_by_sex.csv").write_text("sex,n\nF,150\nM,155\n")
    lena.goto(f"{base}/requests/{rid}")
    assert lena.inner_text("#status") == "Returned for changes"
    lena.select_option("#cm-path", "counts_by_sex.csv")
    lena.fill("#cm-body", "Rounded to 5 as asked.")
    lena.click("button:has-text('Send comment')")
    lena.check("input[type=checkbox][value='counts_by_sex.csv']")
    lena.click("#add-selected")
    lena.click("text=Submit for review")

    chk1 = _signed_in(browser, base, "chk1")
    chk1.goto(f"{base}/requests/{rid}")
    assert chk1.inner_text("tr.file-row td.change") == "Replaced"
    comments = chk1.inner_text("section[aria-labelledby=comments]")
    assert "round 1" in comments and "Round to 5." in comments
    assert "Rounded to 5 as asked." in comments and "counts_by_sex.csv" in comments
    history = chk1.inner_text("ol.history")
    assert "Returned for changes" in history and "Submitted" in history
    Shots(tmp_path).take(chk1, "12-replaced-since-round", chk1.locator("tr.file-row"))
    chk1.click("a:has-text('counts_by_sex.csv')")
    earlier = chk1.locator("section.compared")
    assert "As submitted in round 1" in earlier.locator("h3.earlier-round").inner_text()
    assert "1 cells differ" in earlier.locator("h3.earlier-round").inner_text()
    marked = earlier.locator("table.earlier td.differs")
    assert marked.count() == 1 and marked.first.inner_text().startswith("150")
    for page in (lena, chk1):
        page.context.close()


def test_japanese_request_page(
    browser: Any, site: tuple[Settings, str, str], tmp_path: Path
) -> None:
    """Labels, policy reasons and times in Japanese (JST, 2026年12月7日 20:48), no codes."""
    settings, project, base = site
    rid = _submitted_in_service(settings, project, {"counts_by_sex.csv": COUNTS})
    lena = _signed_in(browser, base, "lena")
    lena.goto(f"{base}/requests/{rid}?lang=ja")
    main = lena.inner_text("main")
    assert lena.inner_text("#status") == "審査中"
    assert "in_review" not in main and "changes_requested" not in main
    why = lena.inner_text("#why-review")
    assert "申請の作成者は、その申請を審査できません" in why and "author" not in why
    assert "JST" in main and "年" in main and "UTC" not in main
    Shots(tmp_path).take(lena, "13-japanese", lena.locator("#why-review"))
    lena.context.close()


def test_checker_reads_a_wide_table(
    browser: Any, site: tuple[Settings, str, str], tmp_path: Path
) -> None:
    """A wide table scrolls in its frame with the header row and row numbers kept in view,
    columns can be hidden, flagged rows shown alone, and its summary read first."""
    settings, project, base = site
    header = "region," + ",".join(f"age_band_{i:02d}" for i in range(24))
    rows = [f"R{r}," + ",".join(str(20 + 5 * ((r + i) % 7)) for i in range(24)) for r in range(30)]
    rows[7] = "R7," + ",".join(["3", *["40"] * 23])  # one small cell
    rid = _submitted_in_service(settings, project, {"wide.csv": header + "\n" + "\n".join(rows)})
    chk1 = _signed_in(browser, base, "chk1")
    chk1.goto(f"{base}/requests/{rid}/view/wide.csv")
    summary = chk1.inner_text("#table-summary")
    assert "30" in summary and "25" in summary  # rows, columns
    assert "Smallest non-zero count\n3" in summary
    assert "no" in summary.split("Counts look rounded")[1]  # a 3 among multiples of 5
    frame = chk1.locator(".table-scroll")
    assert frame.evaluate("e => e.scrollWidth > e.clientWidth")  # it does scroll sideways
    assert "25 of 25 columns" in chk1.inner_text("#scroll-cue")
    position = "e => getComputedStyle(e).position"
    assert chk1.locator("table.data thead th").nth(3).evaluate(position) == "sticky"
    assert chk1.locator("table.data tbody th").first.evaluate(position) == "sticky"
    frame.evaluate("e => { e.scrollLeft = e.scrollWidth; e.scrollTop = e.scrollHeight; }")
    row_number = chk1.locator("table.data tbody th").last.bounding_box()
    box = frame.bounding_box()
    assert row_number is not None and box is not None and row_number["x"] <= box["x"] + 2
    Shots(tmp_path).take(chk1, "14-wide-table-scrolled", frame)

    chk1.check("#flagged")
    chk1.click("#view-controls summary")
    chk1.check("#view-controls input[value=age_band_05]")
    chk1.click("#view-controls button")
    assert [t.strip() for t in chk1.locator("table.data tbody th").all_inner_texts()] == ["8"]
    headers = chk1.locator("table.data thead th").all_inner_texts()
    assert "age_band_05" not in headers and len(headers) == 25  # "#", region, 23 bands
    assert chk1.locator("table.data td.flagged").count() >= 1
    assert "24 of 25 columns" in chk1.inner_text("#scroll-cue")
    chk1.context.close()


def test_checker_reads_a_crosstab_as_it_was_made(
    browser: Any, site: tuple[Settings, str, str], tmp_path: Path
) -> None:
    """A cross-tabulation made with `tre.client.outputs.crosstab`: the file view shows the
    tabulation from its sidecar (not only the query) and each cell's contributors."""
    import duckdb

    from tre.airlock import service
    from tre.client.outputs import crosstab

    settings, project, base = site
    current = settings.extracts_path / project / "current"
    con = duckdb.connect(str(current / "catalog.duckdb"))
    con.execute(f"SET file_search_path = '{current}'")
    con.execute(
        "CREATE VIEW patients AS SELECT person_id, sex,"
        " CASE WHEN hash(person_id) % 3 = 0 THEN 'north' ELSE 'south' END AS region"
        " FROM read_parquet('data/patients.parquet')"
    )
    outputs = settings.workspaces_path / project / "outputs"
    crosstab("patients", "region", "sex", unit="person_id", name="by_region_sex", con=con,
             directory=outputs)  # fmt: skip
    con.close()
    rid = str(service.create(settings, "lena", project, "By region and sex")["id"])
    service.add_files(settings, "lena", rid, ["by_region_sex.csv"])
    service.set_group(settings, "lena", rid, "main", "Patients by region and sex.", "n >= 10")
    service.submit(settings, "lena", rid)

    chk1 = _signed_in(browser, base, "chk1")
    chk1.goto(f"{base}/requests/{rid}")
    assert "Verified" in chk1.inner_text("tr.file-row td.provenance")
    chk1.goto(f"{base}/requests/{rid}/view/by_region_sex.csv")
    made = chk1.inner_text("#tabulation")
    assert "count" in made and "region" in made and "sex" in made and "person_id" in made
    cells = chk1.locator("table.data td").all_inner_texts()
    shown = [c for c in cells if "(" in c]
    assert shown and all(c.split("(")[0].strip() == c.split("(")[1].rstrip(")") for c in shown)
    Shots(tmp_path).take(chk1, "15-crosstab-contributors", chk1.locator("#tabulation"))
    chk1.goto(f"{base}/queue")
    assert "1 of 1" in chk1.inner_text("td.provenance")
    chk1.context.close()


def test_checker_sees_an_earlier_release_beside_the_table(
    browser: Any, site: tuple[Settings, str, str], tmp_path: Path
) -> None:
    """Differencing: the project's earlier release of a table with the same name is shown
    beside the one under review, with the cells that differ marked (who may compare is the
    policy's: `compare` cases in release_test.rego)."""
    from tre.airlock import service

    settings, project, base = site
    first = _submitted_in_service(settings, project, {"counts_by_sex.csv": COUNTS})
    for checker in ("chk1", "chk2"):
        service.review(settings, checker, first, {"counts_by_sex.csv": "approve"})
    service.decide(settings, "chk1", first, "approve")
    again = _submitted_in_service(settings, project, {"counts_by_sex.csv": "sex,n\nF,153\nM,150\n"})
    chk2 = _signed_in(browser, base, "chk2")
    chk2.goto(f"{base}/requests/{again}/view/counts_by_sex.csv")
    section = chk2.locator("section.compared")
    heading = section.locator("h3").inner_text()
    assert first in heading and "1 cells differ" in heading
    marked = section.locator("table.earlier td.differs")
    assert marked.count() == 1 and marked.first.inner_text().startswith("150")
    Shots(tmp_path).take(chk2, "16-earlier-release-beside", section)
    chk2.context.close()


def test_an_error_page_gives_no_command_line_hint(
    browser: Any, site: tuple[Settings, str, str], tmp_path: Path
) -> None:
    _settings, _project, base = site
    chk1 = _signed_in(browser, base, "chk1")
    response = chk1.goto(f"{base}/requests/r-999")
    assert response is not None and response.status == 404
    page = chk1.inner_text("main")
    assert "r-999" in page and "`tre" not in page and "tre airlock" not in page
    chk1.context.close()
