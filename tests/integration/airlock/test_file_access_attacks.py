"""Every path that hands out the bytes of a request's files, tried by every kind of person in
every state, through the portal and the command line.

The bytes go only to the output checkers reviewing a request, while it is under review, and,
once it is released, to the project's lead and analysts. Everyone else (the author and the
co-members of a draft, an admin, another project's analyst, anyone signed out) gets a
refusal and none of the bytes; so does everyone for a withdrawn, rejected or revoked request.
A table the checks found to be person-level is shown to no one, checkers included, until an
admin records an override.
"""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import pytest
from airlock_world import OTHER_APPLICATION, PERSON_IDS
from cli_accounts import act_as
from portal_client import TestClient, client_for
from sqlalchemy import select

from tre import projects, users
from tre.airlock import service, views
from tre.cli import main
from tre.config import Settings
from tre.db import session_scope
from tre.db.airlock_models import AirlockRequest
from tre.db.models import AuditEvent

World = tuple[Settings, str]

TABLE = "label,n\nQz7Alpha,150\nQz7Beta,150\n"
MARKERS = (b"Qz7Alpha", b"Qz7Beta", b"Qz7Image")
PEOPLE = ["author", "co-member", "checker", "other project", "admin", "anonymous"]
ACCOUNT = {
    "author": "lena",  # an output checker too, which never lets her read her own request
    "co-member": "ana",
    "checker": "chk1",
    "other project": "bob",
    "admin": "ada",
    "anonymous": None,
}
# Who may read a file (view, image) in each state; who may download it (release only).
READERS = {
    "submitted": {"checker"},
    "in_review": {"checker"},
    "reviewed": {"checker"},
    "released": {"author", "co-member"},
}
DOWNLOADERS = {"released": {"author", "co-member"}}
STATES = [
    "draft", "submitted", "in_review", "reviewed", "returned",
    "withdrawn", "rejected", "released", "revoked",
]  # fmt: skip


def png(marker: bytes) -> bytes:
    """A 1x1 PNG carrying `marker` in a text chunk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"tEXt", b"Comment\x00" + marker)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def _other_project(settings: Settings, tmp_path: Path) -> None:
    """Project B of bob, who is not a member of p-1."""
    users.add_user(settings, "ada", "bob", ["analyst"])
    app_file = tmp_path / "other.yaml"
    app_file.write_text(OTHER_APPLICATION)
    projects.approve(settings, "appy", str(projects.apply(settings, "bob", app_file)["id"]))


def _set_status(settings: Settings, rid: str, status: str) -> None:
    """Put a request in `status` directly: for `submitted`, the moment between submission
    and the end of its checks, which the service passes through within one call."""
    with session_scope(settings) as session:
        session.get(AirlockRequest, rid).status = status  # type: ignore[union-attr]


def request_in(settings: Settings, project: str, state: str, files: dict[str, bytes]) -> str:
    """A request of lena's holding `files`, moved through the services into `state`."""
    outputs = settings.workspaces_path / project / "outputs"
    for name, data in files.items():
        (outputs / name).write_bytes(data)
    rid = str(service.create(settings, "lena", project, "Counts")["id"])
    service.add_files(settings, "lena", rid, list(files))
    service.set_group(settings, "lena", rid, "main", "Counts by label.", "Counts >= 10.")
    if state == "draft":
        return rid
    if state == "withdrawn":
        service.withdraw(settings, "lena", rid)
        return rid
    service.submit(settings, "lena", rid)
    if state == "submitted":
        _set_status(settings, rid, "submitted")
    if state in ("submitted", "in_review"):
        return rid
    if state in ("returned", "rejected"):
        decision = "return" if state == "returned" else "reject"
        service.decide(settings, "chk1", rid, decision, "Please change the labels.")
        return rid
    for checker in ("chk1", "chk2"):
        service.review(settings, checker, rid, dict.fromkeys(files, "approve"))
    if state == "reviewed":
        return rid
    service.decide(settings, "chk1", rid, "approve")
    if state == "revoked":
        service.revoke(settings, "chk1", rid, "found disclosive later")
    return rid


def _clients(settings: Settings) -> dict[str, TestClient]:
    return {who: client_for(settings, ACCOUNT[who]) for who in PEOPLE}


@pytest.mark.parametrize("state", STATES)
def test_file_bytes_only_for_checkers_under_review_and_members_after_release(
    portal: World,
    state: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings, project = portal
    _other_project(settings, tmp_path)
    image = png(b"Qz7Image")
    rid = request_in(settings, project, state, {"counts.csv": TABLE.encode(), "plot.png": image})
    assert views.show(settings, "ada", rid)["status"] == state
    readers, downloaders = READERS.get(state, set()), DOWNLOADERS.get(state, set())
    routes = {
        "view": (f"/requests/{rid}/view/counts.csv", readers),
        "image": (f"/requests/{rid}/raw/plot.png", readers),
        "view of the image": (f"/requests/{rid}/view/plot.png", readers),
        "download": (f"/releases/{rid}/counts.csv", downloaders),
        "download of the image": (f"/releases/{rid}/plot.png", downloaders),
        "the release's crate": (f"/crates/{rid}", downloaders),
    }
    for who, client in _clients(settings).items():
        for route, (url, allowed) in routes.items():
            r = client.get(url, follow_redirects=False)
            if who in allowed:
                assert r.status_code == 200, (who, route, r.text[:300])
                continue
            assert r.status_code in (303, 403, 404), (who, route, r.status_code)
            assert not any(m in r.content for m in MARKERS), (who, route)
            if who != "anonymous":
                assert "Traceback" not in r.text
        # The request page shows names, sizes, hashes and findings: never the content.
        page = client.get(f"/requests/{rid}", follow_redirects=False)
        assert not any(m in page.content for m in MARKERS), (who, "request page")
    # What an allowed reader gets is the file itself.
    if readers:
        reader = client_for(settings, ACCOUNT[next(iter(sorted(readers)))])
        assert "Qz7Alpha" in reader.get(routes["view"][0]).text
        assert reader.get(routes["image"][0]).content == image
    if downloaders:
        assert client_for(settings, "ana").get(routes["download"][0]).text == TABLE
    # The command line's downloads (a file, the crate): the same rule, for the same people.
    for who in PEOPLE[:-1]:
        act_as(monkeypatch, str(ACCOUNT[who]))
        for command in (["download", rid, "counts.csv"], ["crate", rid]):
            out = tmp_path / "dl" / who / command[0]
            capsys.readouterr()
            try:
                main(["airlock", *command, "--out", str(out), "--json"])
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
            captured = capsys.readouterr()
            if who in downloaders:
                assert code == 0 and out.is_dir() and any(out.iterdir()), (who, command)
            else:
                assert code != 0 and not out.exists(), (who, command)
                assert json.loads(captured.out)["error"] in ("PolicyDenied", "NotFound")
                assert not any(m.decode() in captured.out + captured.err for m in MARKERS)
    if downloaders:
        assert (tmp_path / "dl" / "co-member" / "download" / "counts.csv").read_text() == TABLE


def test_every_read_is_audited_and_a_refusal_reads_nothing(portal: World) -> None:
    settings, project = portal
    rid = request_in(settings, project, "in_review", {"counts.csv": TABLE.encode()})
    assert client_for(settings, "lena").get(f"/requests/{rid}/view/counts.csv").status_code == 403
    assert client_for(settings, "chk1").get(f"/requests/{rid}/view/counts.csv").status_code == 200
    with session_scope(settings) as session:
        reads = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "airlock.read_file")
        ).all()
    assert [(e.actor, json.loads(e.body)["path"]) for e in reads] == [("chk1", "counts.csv")]


@pytest.mark.parametrize("state", ["draft", "in_review", "released"])
def test_an_outsider_cannot_tell_which_files_a_request_has(
    portal: World, tmp_path: Path, state: str
) -> None:
    """bob gets the same refusal for a file that exists and one that does not, and it
    says only that the request is not his."""
    settings, project = portal
    _other_project(settings, tmp_path)
    rid = request_in(settings, project, state, {"counts.csv": TABLE.encode()})
    bob = client_for(settings, "bob")
    there = bob.get(f"/requests/{rid}/view/counts.csv")
    absent = bob.get(f"/requests/{rid}/view/nothing.csv")
    assert there.status_code == absent.status_code == 403
    assert there.text == absent.text and "may see a request" in there.text
    for reason in ("stay in the workspace", "reviewing", "lead and analysts"):
        assert reason not in there.text


def test_a_person_level_table_is_shown_to_no_one_until_an_override(portal: World) -> None:
    settings, project = portal
    people = "person_id,n\n" + "".join(f"{p},1\n" for p in PERSON_IDS[:40])
    rid = request_in(settings, project, "in_review", {"people.csv": people.encode()})
    shown = views.show(settings, "chk1", rid)
    assert shown["groups"][0]["files"][0]["verdict"] == "block"
    cells = [p.encode() for p in PERSON_IDS[:40]]
    for who, client in _clients(settings).items():
        for url in (f"/requests/{rid}", f"/requests/{rid}/view/people.csv"):
            page = client.get(url, follow_redirects=False)
            assert not any(c in page.content for c in cells), (who, url)
    refused = client_for(settings, "chk1").get(f"/requests/{rid}/view/people.csv")
    assert refused.status_code == 403 and "person-level data" in refused.text
    # An admin's recorded override is what lets the reviewing checker see it.
    service.override(settings, "ada", rid, "The identifiers are project codes, not persons.")
    page = client_for(settings, "chk1").get(f"/requests/{rid}/view/people.csv")
    assert page.status_code == 200 and PERSON_IDS[0] in page.text
    assert client_for(settings, "ada").get(f"/requests/{rid}/view/people.csv").status_code == 403
