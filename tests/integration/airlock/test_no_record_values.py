"""A hostile table at the airlock: its findings, the request as listed and shown (service,
command line and portal page), the audit log and the logs never echo a value from it."""

from __future__ import annotations

import json
import logging

import pytest
from cli_accounts import act_as
from portal_client import client_for
from sqlalchemy import select

from tre.airlock import service, views
from tre.cli import main
from tre.config import Settings
from tre.db import session_scope
from tre.db.models import AuditEvent

World = tuple[Settings, str]
MARKERS = ("Qz7Marker", "1931-07-04", "SW1A 1AA")
HOSTILE = (
    "label,birth_date,area,n\n"
    "Qz7Marker,1931-07-04,SW1A 1AA,3\n"
    "other,1975-11-30,M1 1AE,14\n"
    "third,1980-02-03,EC1A 1BB,12\n"
)


def _assert_no_marker(text: str, where: str) -> None:
    for marker in MARKERS:
        assert marker not in text, f"{marker!r} appears in {where}"


def test_hostile_table_values_appear_nowhere_but_the_file_view(
    portal: World,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    settings, project = portal
    (settings.workspaces_path / project / "outputs" / "hostile.csv").write_text(HOSTILE)
    rid = str(service.create(settings, "lena", project, "Hostile")["id"])
    service.add_files(settings, "lena", rid, ["hostile.csv"])
    shown = views.show(settings, "lena", rid)
    findings = [x for g in shown["groups"] for f in g["files"] for x in f["findings"]]
    assert {"date-of-birth", "full-postcode"} <= {x["rule"] for x in findings}
    _assert_no_marker(json.dumps(shown, default=str), "the request as shown")
    act_as(monkeypatch, "lena")
    capsys.readouterr()
    main(["airlock", "show", rid])
    _assert_no_marker(capsys.readouterr().out, "`tre airlock show`")
    page = client_for(settings, "lena").get(f"/requests/{rid}")
    assert page.status_code == 200 and "date-of-birth" in page.text
    _assert_no_marker(page.text, "the request page")
    with session_scope(settings) as session:
        bodies = [e.body for e in session.scalars(select(AuditEvent))]
    assert bodies
    _assert_no_marker("\n".join(bodies), "the audit log")
    _assert_no_marker("\n".join(r.getMessage() for r in caplog.records), "the log")
