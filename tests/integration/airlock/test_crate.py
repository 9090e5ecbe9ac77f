"""Each release carries a Five Safes RO-Crate: a valid BagIt ZIP (SHA-512 manifests) whose
RO-Crate metadata records the request, the automated check with its verdicts and each output
checker's review; members download it (audited), the register lists it, and it names no
reviewer and carries no text a person wrote beyond the title and the file names."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from airlock_world import PERSON_IDS, draft, reviewed
from crate_checks import bag_problems, extract, five_safes_problems, rocrate_problems
from portal_client import client_for
from sqlalchemy import select

from tre.airlock import crate, release, service, views
from tre.cli import main
from tre.config import Settings
from tre.db import AuditEvent, session_scope
from tre.errors import PolicyDenied

World = tuple[Settings, str]
SMALL = "sex,n\nF,3\nM,150\n"
MARKERS = {
    "context": "Qz7ContextMarker",
    "controls": "Qz7ControlsMarker",
    "comment": "Qz7PublicComment",
    "private": "Qz7PrivateComment",
    "override": "Qz7OverrideReason",
}


def _released(settings: Settings, project: str) -> str:
    rid = reviewed(settings, project)
    service.decide(settings, "chk2", rid, "approve")
    return rid


def _crate(settings: Settings, rid: str, tmp_path: Path) -> tuple[Path, dict[str, Any], Path]:
    """The crate's ZIP, its metadata, and the unpacked bag."""
    archive, _info = release.crate_file(settings.airlock_path, rid)
    bag = extract(archive, tmp_path / "unpacked")
    metadata = json.loads((bag / "data" / "ro-crate-metadata.json").read_text())
    return archive, metadata, bag


def _entities(metadata: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["@id"]: e for e in metadata["@graph"]}


def _audit(settings: Settings, rid: str, action: str) -> list[dict[str, Any]]:
    with session_scope(settings) as s:
        rows = s.execute(
            select(AuditEvent).where(AuditEvent.object_id == rid, AuditEvent.action == action)
        ).scalars()
        return [{"actor": e.actor, "seq": e.seq, **json.loads(e.body)} for e in rows]


def test_a_release_carries_a_valid_five_safes_crate(world: World, tmp_path: Path) -> None:
    settings, project = world
    rid = _released(settings, project)
    _archive, metadata, bag = _crate(settings, rid, tmp_path)
    assert bag_problems(bag) == []
    assert rocrate_problems(metadata, bag / "data") == []
    assert five_safes_problems(metadata) == []
    # The released file is in the payload byte for byte.
    released, digest = release.released_file(settings.airlock_path, rid, "counts.csv")
    packed = bag / "data" / "outputs" / "counts.csv"
    assert packed.read_bytes() == released.read_bytes()
    assert hashlib.sha256(packed.read_bytes()).hexdigest() == digest
    # The request, the automated check with its verdict, each review, the sign-off.
    entities = _entities(metadata)
    mentioned = {m["@id"] for m in entities["./"]["mentions"]}
    request = entities[f"#request-{rid}"]
    assert request["@type"] == "CreateAction" and request["agent"] == {"@id": "#user-lena"}
    assert request["result"] == [{"@id": "outputs/counts.csv"}]
    check = entities["#disclosure-check"]
    assert check["@type"] == "AssessAction" and check["@id"] in mentioned
    assert "1 pass" in check["name"] and check["result"] == {"@id": "results.json"}
    assert entities[check["agent"]["@id"]]["@type"] == "SoftwareApplication"
    reviews = [e for e in entities.values() if e["@id"].startswith("#output-check-")]
    assert len(reviews) == 2 and all(r["@id"] in mentioned for r in reviews)
    assert all(r["additionalType"] == {"@id": "https://w3id.org/shp#DisclosureCheck"}
               for r in reviews)  # fmt: skip
    assert all("approved all 1 files" in r["name"] for r in reviews)
    sign_off = entities["#sign-off"]
    assert sign_off["additionalType"] == {"@id": "https://w3id.org/shp#SignOff"}
    assert sign_off["agent"] == {"@id": "#output-checker-2"}  # chk2 reviewed and decided
    # The ACRO results.json beside them carries the verdict SACRO-Viewer reads.
    results = json.loads((bag / "data" / "results.json").read_text())
    assert results["results"]["outputs/counts.csv"]["status"] == "pass"
    checksum = bag / "data" / "checksums" / "outputs" / "counts.csv.txt"
    assert checksum.read_text() == digest


def test_an_independent_reader_reads_the_crate(world: World, tmp_path: Path) -> None:
    from rocrate.rocrate import ROCrate

    settings, project = world
    rid = _released(settings, project)
    _archive, _metadata, bag = _crate(settings, rid, tmp_path)
    crate = ROCrate(bag / "data")
    assert crate.root_dataset["conformsTo"].id == "https://w3id.org/5s-crate/0.4"
    assert {e.id for e in crate.data_entities} >= {"outputs/counts.csv", "results.json"}
    assert crate.get("#disclosure-check").type == "AssessAction"
    assert crate.get("#sign-off")["agent"].id == "#output-checker-2"


def _sacro_viewer() -> Any:
    """The port of SACRO-Viewer's loader kept with the results.json tests."""
    path = Path(__file__).parents[2] / "unit" / "sdc" / "sacro_viewer.py"
    spec = importlib.util.spec_from_file_location("sacro_viewer_port", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sacro_viewer_opens_the_crates_payload_as_an_acro_folder(
    world: World, tmp_path: Path
) -> None:
    settings, project = world
    rid = reviewed(settings, project, {"small.csv": SMALL})
    service.override(settings, "ada", rid, "reviewed by hand")
    service.decide(settings, "chk1", rid, "approve")
    _archive, _metadata, bag = _crate(settings, rid, tmp_path)
    viewer = _sacro_viewer()
    found = viewer.find_results(bag / "data")
    assert found.name == "results.json"  # not ro-crate-metadata.json
    metadata = viewer.load(found)["outputs/small.csv"]
    filedata = metadata["files"][0]
    assert filedata["checksum_valid"] is True
    assert viewer.page(metadata)["status"] == "Fail"
    assert viewer.highlighted(SMALL, filedata["cell_index"]) == {"0,1": ["MinimumThresholdCheck"]}


def test_checks_catch_a_broken_crate(world: World, tmp_path: Path) -> None:
    """The checks are not vacuous: a changed byte, a reviewer not mentioned, a missing
    payload file are each reported."""
    settings, project = world
    rid = _released(settings, project)
    _archive, metadata, bag = _crate(settings, rid, tmp_path)
    packed = bag / "data" / "outputs" / "counts.csv"
    packed.chmod(0o644)
    packed.write_text(packed.read_text().replace("150", "151"))
    assert bag_problems(bag)
    root = _entities(metadata)["./"]
    root["mentions"] = [m for m in root["mentions"] if m["@id"] != "#output-check-1"]
    assert any("#output-check-1" in p for p in five_safes_problems(metadata))
    packed.unlink()
    assert any("not in the payload" in p for p in rocrate_problems(metadata, bag / "data"))


def test_the_crate_names_no_reviewer_and_no_free_text(world: World, tmp_path: Path) -> None:
    settings, project = world
    rid = draft(settings, project, {"small.csv": SMALL})
    service.set_group(settings, "lena", rid, "main", MARKERS["context"], MARKERS["controls"])
    service.submit(settings, "lena", rid)
    for checker in ("chk1", "chk2"):
        service.review(settings, checker, rid, {"small.csv": "approve"}, MARKERS["comment"],
                       MARKERS["private"])  # fmt: skip
    with pytest.raises(PolicyDenied):  # blocked until an admin overrides
        service.decide(settings, "chk1", rid, "approve")
    service.override(settings, "ada", rid, MARKERS["override"])
    service.decide(settings, "ada", rid, "approve")
    archive, metadata, bag = _crate(settings, rid, tmp_path)
    assert bag_problems(bag) == [] and five_safes_problems(metadata) == []
    everything = b""
    with zipfile.ZipFile(archive) as z:
        for name in z.namelist():
            if "/data/outputs/" not in name:  # the released file itself may hold anything
                everything += name.encode() + z.read(name)
    for marker in [*MARKERS.values(), *PERSON_IDS[:50]]:
        assert marker.encode() not in everything, marker
    for account in ("chk1", "chk2", "ada"):  # as a word: "ada" is inside "metadata"
        assert not re.search(rb"(?<![A-Za-z0-9])" + account.encode() + rb"(?![A-Za-z0-9])",
                             everything), account  # fmt: skip
    entities = _entities(metadata)
    assert "override" in entities["#sign-off"]["name"]
    assert "overridden" in entities["#disclosure-check"]["name"]
    assert entities["#sign-off"]["agent"] == {"@id": "#approver"}  # an admin, not a reviewer
    result = json.loads((bag / "data" / "results.json").read_text())["results"]
    assert result["outputs/small.csv"]["status"] == "fail"
    assert "override" in result["outputs/small.csv"]["exception"]


def test_members_download_the_crate_audited_others_never(world: World) -> None:
    settings, project = world
    rid = _released(settings, project)
    path, info = views.download_crate(settings, "ana", rid)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == info["sha256"]
    downloads = _audit(settings, rid, "release.download")
    assert downloads[-1]["actor"] == "ana" and downloads[-1]["crate"] is True
    assert downloads[-1]["sha256"] == info["sha256"]
    built = _audit(settings, rid, "airlock.crate")
    assert len(built) == 1 and built[0]["sha256"] == info["sha256"]
    for outsider in ("chk1", "appy"):  # reviewers and approvers are not members
        with pytest.raises(PolicyDenied):
            views.download_crate(settings, outsider, rid)
    service.revoke(settings, "chk1", rid, "found disclosive later")
    with pytest.raises(PolicyDenied) as err:
        views.download_crate(settings, "ana", rid)
    assert any("revoked" in r for r in err.value.reasons)
    assert len(_audit(settings, rid, "release.download")) == len(downloads)
    listed = next(r for r in views.register(settings) if r["request_id"] == rid)
    assert listed["crate"]["sha256"] == info["sha256"] and listed["revoked_at"]


def test_portal_serves_the_crate_to_members_and_lists_it_publicly(portal: World) -> None:
    settings, project = portal
    rid = _released(settings, project)
    _path, info = release.crate_file(settings.airlock_path, rid)
    r = client_for(settings, "ana").get(f"/crates/{rid}")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert r.headers["x-content-sha256"] == info["sha256"]
    assert 'rel="profile"' in r.headers["link"]
    assert hashlib.sha256(r.content).hexdigest() == info["sha256"]
    assert client_for(settings, "chk1").get(f"/crates/{rid}").status_code == 403
    anonymous = client_for(settings, None).get(f"/crates/{rid}", follow_redirects=False)
    assert anonymous.status_code in (302, 303, 307, 401, 403)
    assert anonymous.headers.get("content-type") != "application/zip"
    page = client_for(settings, None).get("/register").text
    assert info["name"] in page and info["sha256"] in page
    assert info["name"] in client_for(settings, "ana").get(f"/requests/{rid}").text


def test_an_interrupted_crate_leaves_nothing_and_the_release_can_be_rerun(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Building the crate is part of the approval's transaction: if it fails half-way, the
    request is still reviewed, no crate or staging folder is left, and approving again
    releases it with its crate."""
    settings, project = world
    rid = reviewed(settings, project)
    real = crate.metadata

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise OSError("disk full")

    monkeypatch.setattr(crate, "metadata", fail)
    with pytest.raises(OSError):
        service.decide(settings, "chk1", rid, "approve")
    assert views.show(settings, "chk1", rid)["status"] == "reviewed"
    assert release.crate_info(settings.airlock_path, rid) is None
    assert list((settings.airlock_path / "releases" / rid).glob(".crate-*")) == []
    assert _audit(settings, rid, "airlock.crate") == []
    monkeypatch.setattr(crate, "metadata", real)
    assert service.decide(settings, "chk1", rid, "approve")["status"] == "released"
    _archive, metadata, bag = _crate(settings, rid, tmp_path)
    assert bag_problems(bag) == [] and five_safes_problems(metadata) == []
    assert len(_audit(settings, rid, "airlock.crate")) == 1


def test_the_command_line_downloads_the_crate(
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings, project = world
    rid = _released(settings, project)
    monkeypatch.setenv("TRE_USER", "ana")
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(["airlock", "crate", rid, "--out", str(tmp_path / "dl"), "--json"])
        raise SystemExit(0)
    assert not exit_info.value.code
    got = json.loads(capsys.readouterr().out)
    archive = Path(got["path"])
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == got["sha256"]
    assert bag_problems(extract(archive, tmp_path / "unpacked")) == []
    monkeypatch.setenv("TRE_USER", "chk1")
    with pytest.raises(SystemExit) as exit_info:
        main(["airlock", "crate", rid, "--out", str(tmp_path / "other")])
    assert exit_info.value.code != 0 and not (tmp_path / "other").exists()
