"""Names of request files, attacked through the service, the portal and the command line:
look-alikes beside their ASCII twins (Cyrillic о, a ligature, full-width letters, combining
marks, case), invisible characters (zero-width, bidirectional controls), compatibility forms
that become a path separator or '..', and names longer than the file system allows, alone or
with their provenance sidecar's suffix. Each is refused with a reason, nothing is added, and
no page answers with a server error."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from cli_accounts import act_as
from portal_client import client_for, csrf

from tre.airlock import service, views
from tre.airlock.intake import IntakeRefused
from tre.cli import main
from tre.config import Settings

World = tuple[Settings, str]
COUNTS = "sex,n\nF,150\nM,150\n"
CYRILLIC_O = "\u043e"


def _outputs(settings: Settings, project: str, *names: str) -> Path:
    outputs = settings.workspaces_path / project / "outputs"
    for name in names:
        (outputs / name).parent.mkdir(parents=True, exist_ok=True)
        (outputs / name).write_text(COUNTS)
    return outputs


def _files(settings: Settings, rid: str) -> list[str]:
    return [f["path"] for g in views.show(settings, "lena", rid)["groups"] for f in g["files"]]


@pytest.mark.parametrize(
    ("twin", "name"),
    [
        ("report.csv", f"rep{CYRILLIC_O}rt.csv"),  # Cyrillic о
        ("counts.csv", "Counts.csv"),  # case
        ("file1.csv", "filel.csv"),  # digit one and letter l
        ("modern.csv", "rnodern.csv"),  # "rn" and "m"
        ("tables/report.csv", f"tables/rep{CYRILLIC_O}rt.csv"),  # in a folder
    ],
)
def test_a_look_alike_beside_its_twin_is_refused(world: World, twin: str, name: str) -> None:
    settings, project = world
    _outputs(settings, project, twin, name)
    rid = str(service.create(settings, "lena", project, "Twins")["id"])
    with pytest.raises(IntakeRefused) as err:  # in one go
        service.add_files(settings, "lena", rid, [twin, name])
    assert err.value.code == "confusable" and "looks like" in err.value.message
    assert _files(settings, rid) == []
    service.add_files(settings, "lena", rid, [twin])
    with pytest.raises(IntakeRefused) as err:  # or after the twin is in
        service.add_files(settings, "lena", rid, [name])
    assert err.value.code == "confusable"
    assert _files(settings, rid) == [twin]


@pytest.mark.parametrize(
    ("name", "normal"),
    [
        ("\ufb01le.csv", "file.csv"),  # ligature fi
        ("\uff43\uff4f\uff55\uff4e\uff54\uff53.csv", "counts.csv"),  # full-width letters
        ("cafe\u0301.csv", "caf\u00e9.csv"),  # combining acute accent
        ("counts\u2460.csv", "counts1.csv"),  # circled digit one
        ("counts.\uff43\uff53\uff56", "counts.csv"),  # a full-width extension
    ],
)
def test_a_name_is_known_by_its_normal_form(world: World, name: str, normal: str) -> None:
    settings, project = world
    _outputs(settings, project, name)
    rid = str(service.create(settings, "lena", project, "Normal")["id"])
    service.add_files(settings, "lena", rid, [name])
    assert _files(settings, rid) == [normal]
    # Its twin in plain letters is then the same file, not a second one that looks alike.
    _outputs(settings, project, normal)
    with pytest.raises(IntakeRefused) as err:
        service.add_files(settings, "lena", rid, [name, normal])
    assert err.value.code == "same_name"
    assert _files(settings, rid) == [normal]


def test_the_release_carries_the_normal_form(world: World) -> None:
    settings, project = world
    _outputs(settings, project, "\ufb01le.csv")
    rid = str(service.create(settings, "lena", project, "Ligature")["id"])
    service.add_files(settings, "lena", rid, ["\ufb01le.csv"])
    service.set_group(settings, "lena", rid, "main", "Counts by sex.", "Counts >= 10.")
    service.submit(settings, "lena", rid)
    for checker in ("chk1", "chk2"):
        service.review(settings, checker, rid, {"file.csv": "approve"})
    service.decide(settings, "chk1", rid, "approve")
    got = views.read_file(settings, "ana", rid, "file.csv", released_only=True)
    assert got.location.name == "file.csv" and got.location.read_text() == COUNTS


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("coun\u200bts.csv", "bad_name"),  # zero-width space
        ("counts\u200d.csv", "bad_name"),  # zero-width joiner
        ("report\u202evsc.txt", "bad_name"),  # right-to-left override
        ("\u2066counts\u2069.csv", "bad_name"),  # bidirectional isolates
        ("\ufeffcounts.csv", "bad_name"),  # a byte-order mark
        ("x\uff0f\u2025\uff0f\u2025\uff0fetc.csv", "outside_outputs"),  # becomes x/../../etc.csv
        ("\u2025\uff0fcounts.csv", "outside_outputs"),  # becomes ../counts.csv
        ("a" * 246 + ".csv", "name_too_long"),  # 250 bytes: no room for its sidecar's suffix
        ("\u3231" * 84 + ".csv", "name_too_long"),  # 256 bytes as given: over the limit
        ("\u337f" * 60 + ".csv", "name_too_long"),  # 184 bytes as given, 724 once normalised
        ("d" * 256 + "/counts.csv", "name_too_long"),  # a folder's name
    ],
)
def test_hostile_names_are_refused_with_a_reason(world: World, name: str, code: str) -> None:
    settings, project = world
    outputs = settings.workspaces_path / project / "outputs"
    with contextlib.suppress(OSError):  # the file system may refuse it: the airlock answers
        _outputs(settings, project, name)
    before = sorted(p.name for p in outputs.rglob("*"))
    rid = str(service.create(settings, "lena", project, "Hostile")["id"])
    with pytest.raises(IntakeRefused) as err:
        service.add_files(settings, "lena", rid, [name])
    assert err.value.code == code, err.value.message
    assert err.value.hint and "Traceback" not in str(err.value)
    assert _files(settings, rid) == []
    assert sorted(p.name for p in outputs.rglob("*")) == before


def test_long_name_is_refused_in_the_portal_without_a_server_error(portal: World) -> None:
    """Before, the probe for the sidecar of a 250-byte name failed with ENAMETOOLONG: 500."""
    settings, project = portal
    long_name = "a" * 246 + ".csv"
    _outputs(settings, project, long_name)
    rid = str(service.create(settings, "lena", project, "Long")["id"])
    lena = client_for(settings, "lena")
    page = lena.get(f"/requests/{rid}")
    r = lena.post(f"/requests/{rid}/files", data={"paths": long_name, "csrf": csrf(page.text)})
    assert r.status_code == 400, r.text[:500]
    assert "at most 246 fit" in r.text and "Give the file or folder a shorter name" in r.text
    assert _files(settings, rid) == []


def test_look_alikes_are_refused_in_the_portal(portal: World) -> None:
    settings, project = portal
    twin, name = "report.csv", f"rep{CYRILLIC_O}rt.csv"
    _outputs(settings, project, twin, name)
    rid = str(service.create(settings, "lena", project, "Twins")["id"])
    lena = client_for(settings, "lena")
    token = csrf(lena.get(f"/requests/{rid}").text)
    r = lena.post(f"/requests/{rid}/files", data={"paths": [twin, name], "csrf": token})
    assert r.status_code == 400 and "looks like" in r.text
    zero_width = "coun\u200bts.csv"
    r = lena.post(f"/requests/{rid}/files", data={"paths": zero_width, "csrf": token})
    assert r.status_code == 400 and "control characters" in r.text
    assert _files(settings, rid) == []


@pytest.mark.parametrize(
    ("names", "says"),
    [
        (["report.csv", f"rep{CYRILLIC_O}rt.csv"], "looks like"),
        (["\ufb01le.csv", "file.csv"], "same name"),
        (["a" * 246 + ".csv"], "at most 246 fit"),
        (["report\u202evsc.txt"], "control characters"),
    ],
)
def test_hostile_names_are_refused_on_the_command_line(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    names: list[str],
    says: str,
) -> None:
    settings, project = world
    _outputs(settings, project, *[n for n in names if "\u202e" not in n])
    act_as(monkeypatch, "lena")
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(["airlock", "submit", *names, "--project", project, "--title", "T", "--json"])
    assert exit_info.value.code == 6
    captured = capsys.readouterr()
    assert json.loads(captured.out)["error"] == "IntakeRefused"
    assert says in captured.err and captured.err.count("\n") == 1
    assert views.list_requests(settings, "lena") == []  # the refusal left no draft behind
