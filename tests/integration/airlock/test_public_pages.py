"""The public pages are kept per state of the TRE: fast for many readers, never stale for
long, and never one reader's page served to another."""

from __future__ import annotations

import subprocess
import sys

from airlock_world import reviewed
from portal_client import COUNTS, client_for
from sqlalchemy import text

from tre.airlock import service
from tre.config import Settings
from tre.db import db_engine
from tre.web import public_cache

World = tuple[Settings, str]


def test_the_portals_own_changes_show_at_once(portal: World) -> None:
    settings, project = portal
    reader = client_for(settings, None)
    assert "counts.csv" not in reader.get("/register").text
    rid = reviewed(settings, project, {"counts.csv": COUNTS})
    service.decide(settings, "chk1", rid, "approve")  # a commit in this process
    page = reader.get("/register").text
    assert rid in page and "counts.csv" in page


def test_a_change_made_by_another_process_shows_within_a_second(portal: World) -> None:
    settings, project = portal
    rid = reviewed(settings, project, {"counts.csv": COUNTS})
    now = [1_000_000.0]
    reader = client_for(settings, None)
    cache = reader.app.state.portal.public  # type: ignore[attr-defined]
    cache._clock = lambda: now[0]
    before = reader.get("/register").text
    assert "counts.csv" not in before
    # Another process (the command line) approves: this process sees no commit of its own.
    code = (
        "from tre.config import load_settings; from tre.airlock import service; "
        f"service.decide(load_settings(), 'chk1', {rid!r}, 'approve')"
    )
    subprocess.run([sys.executable, "-c", code], check=True)  # same TRE_HOME and database
    assert reader.get("/register").text == before  # within the second: the kept page
    now[0] += public_cache.STATE_CHECK_SECONDS
    assert "counts.csv" in reader.get("/register").text


def test_a_signed_in_readers_page_is_theirs_alone(portal: World) -> None:
    settings, _project = portal
    anonymous = client_for(settings, None)
    anonymous.get("/register")  # keeps the anonymous page
    signed_in = client_for(settings, "ada").get("/register").text
    assert "ada" in signed_in
    again = anonymous.get("/register").text
    assert ">ada<" not in again and "ada" not in again.split("<main")[0]
    # Each language keeps its own page.
    english = anonymous.get("/register", headers={"Accept-Language": "en"}).text
    japanese = client_for(settings, None).get("/register", headers={"Accept-Language": "ja"})
    assert '<html lang="en">' in english and '<html lang="ja">' in japanese.text


def test_the_kept_state_is_the_audit_head(portal: World) -> None:
    settings, _project = portal
    with db_engine(settings).connect() as conn:
        seq = conn.execute(text("SELECT seq FROM audit_head")).scalar()
    assert public_cache.PublicCache(settings).read_state()[0] == seq
