"""A hostile table at the airlock: its findings, the request as listed and shown (service,
command line and portal page), the audit log and the logs never echo a value from it."""

from __future__ import annotations

import json
import logging
import re
import zipfile
from pathlib import Path

import pytest
from airlock_world import PERSON_IDS, draft
from cli_accounts import act_as
from portal_client import client_for
from sqlalchemy import select

from tre.airlock import release, service, views
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


# --- headers that are record values -------------------------------------------------------
HEADER_MARK = "Qz7"
# One identifier-shaped header in an aggregate, with a small count in its column.
ONE_ID = f"region,n,{HEADER_MARK}x9Kp2Lm4W\nKanto,40,25\nKinki,30,3\nTohoku,20,12\n"
# Persons as columns: their names, and the extract's own identifiers (shortened).
ATTRIBUTES = "age,34,51,72\nsex,F,M,F\nregion,Kanto,Kinki,Tohoku\n"
NAMES = f"attribute,{HEADER_MARK}Tanaka,{HEADER_MARK}Suzuki,{HEADER_MARK}Sato\n" + ATTRIBUTES
SHORT_IDS = [p[-12:] for p in PERSON_IDS[:3]]
PERSONS = "attribute," + ",".join(SHORT_IDS) + "\n" + ATTRIBUTES


def _assert_no_header(text: str, where: str) -> None:
    for marker in (HEADER_MARK, *SHORT_IDS):
        assert marker not in text, f"{marker!r} appears in {where}"


def test_headers_that_are_record_values_are_named_by_position_everywhere(
    portal: World,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    settings, project = portal
    files = {"one_id.csv": ONE_ID, "names.csv": NAMES, "persons.csv": PERSONS}
    rid = draft(settings, project, files)
    # The stored reports, as the service shows them.
    shown = views.show(settings, "lena", rid)
    reports = {f["path"]: f for g in shown["groups"] for f in g["files"]}
    _assert_no_header(json.dumps(shown, default=str), "the request as shown")
    assert all(reports[name]["verdict"] == "block" for name in files)
    small = [c for f in reports["one_id.csv"]["findings"] if f["rule"] == "threshold"
             for c in f["cells"]]  # fmt: skip
    assert [1, "#3"] in small
    act_as(monkeypatch, "lena")
    capsys.readouterr()
    main(["airlock", "show", rid, "--json"])
    _assert_no_header(capsys.readouterr().out, "`tre airlock show --json`")
    lena = client_for(settings, "lena")
    page = lena.get(f"/requests/{rid}")
    assert page.status_code == 200 and "transposed-persons" in page.text
    _assert_no_header(page.text, "the request page")
    service.submit(settings, "lena", rid)
    # A checker reviewing it (no one sees a draft's bytes) sees the file itself, its header
    # too, with the small count in the third column marked; the list of findings beside it
    # names the column by position.
    view = client_for(settings, "chk1").get(f"/requests/{rid}/view/one_id.csv").text
    body_rows = re.findall(r'<tr><th scope="row">\d+</th>(.*?)</tr>', view, re.S)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", body_rows[1], re.S)
    assert cells[2].startswith("<mark>3</mark>") and "<mark>" not in cells[0] + cells[1]
    findings = view.split('<aside class="findings-list"', 1)[1]
    _assert_no_header(findings, "the findings beside the file")
    assert "#3" in findings
    # Released with an administrator's override: the crate names no such header.
    for checker in ("chk1", "chk2"):
        service.review(settings, checker, rid, dict.fromkeys(files, "approve"))
    service.override(settings, "ada", rid, "checked by hand")
    service.decide(settings, "ada", rid, "approve")
    archive, _info = release.crate_file(settings.airlock_path, rid)
    with zipfile.ZipFile(archive) as z:
        everything = "".join(
            z.read(n).decode("utf-8", "replace") for n in z.namelist() if "/data/outputs/" not in n
        )
    _assert_no_header(everything, "the crate")
    results = json.loads(_results_json(archive))["results"]
    assert "MinimumThresholdCheck" in results["outputs/one_id.csv"]["outcome"]["#3"]["1"]
    with session_scope(settings) as session:
        bodies = [e.body for e in session.scalars(select(AuditEvent))]
    _assert_no_header("\n".join(bodies), "the audit log")


def _results_json(archive: Path) -> str:
    with zipfile.ZipFile(archive) as z:
        name = next(n for n in z.namelist() if n.endswith("/data/results.json"))
        return z.read(name).decode("utf-8")
