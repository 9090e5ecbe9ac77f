"""The patients' page: a one-time code from a data holder proves who a person is; without it
the page reveals nothing, not even whether someone is in the lake; attempts are limited and
audited; opt-outs apply to extracts built afterwards, never to those built before."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dab_world import application_form, client, csrf, patient_ids
from sqlalchemy import select
from test_admin_pages import audit_actions, audit_bodies
from test_apply_pages import submit

from tre import projects
from tre.config import Settings
from tre.db import session_scope
from tre.extract import service
from tre.extract.records import ExtractBuild, ExtractPerson
from tre.lake.optout import lake_person_id


def issue(world: Settings, identifier: str, as_user: str = "hosp") -> str:
    c = client(world, as_user)
    page = c.get("/admin/patient-codes").text
    r = c.post(
        "/admin/patient-codes",
        data={"csrf": csrf(page), "source": "demo", "identifier": identifier},
    )
    assert r.status_code == 200, r.text[:500]
    found = re.search(r'id="issued-code">([0-9A-Z-]+)<', r.text)
    assert found and identifier not in r.text
    return found.group(1)


def sign_in(c, code: str, **headers: str):  # type: ignore[no-untyped-def]
    page = c.get("/patients").text
    return c.post(
        "/patients/signin",
        data={"code": code, "csrf": csrf(page)},
        headers=headers,
        follow_redirects=False,
    )


def provisioned_project(world: Settings) -> None:
    submit(client(world, "lena"), application_form())
    projects.approve(world, "appy", "p-1", reason="Sound.")
    service.provision(world, "p-1", "ada")


def persons_of_latest_build(world: Settings) -> set[str]:
    with session_scope(world) as session:
        build = session.execute(
            select(ExtractBuild).order_by(ExtractBuild.built_at.desc()).limit(1)
        ).scalar_one()
        return set(
            session.execute(
                select(ExtractPerson.lake_pseudonym).where(ExtractPerson.build_id == build.id)
            ).scalars()
        )


def test_a_person_sees_their_use_and_opts_out_from_then_on(
    world: Settings, lake_template: Path
) -> None:
    provisioned_project(world)
    person = patient_ids(lake_template, 1)[0]
    pseudonym = lake_person_id(world, "demo", person)
    assert pseudonym in persons_of_latest_build(world)
    code = issue(world, person)

    patient = client(world)
    r = sign_in(patient, code.lower().replace("-", " "))  # as a person might type it
    assert r.status_code == 303 and r.headers["location"] == "/patients/me"
    assert r.headers["cache-control"] == "no-store"
    page = patient.get("/patients/me").text
    assert "p-1: Diabetes care by region" in page and "You have not opted out." in page
    assert person not in page and pseudonym not in page

    r = patient.post("/patients/optout", data={"csrf": "forged"}, follow_redirects=False)
    assert r.status_code == 400  # a forged form changes nothing
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
    assert patient.post("/patients/optout", data={"csrf": token}).status_code == 200
    page = patient.get("/patients/me").text
    assert "You opted out on" in page and "p-1" in page  # what was used stays visible

    # Not retroactive: the extract built before still holds the person; the next build not.
    assert pseudonym in persons_of_latest_build(world)
    service.refresh(world, "p-1", "ada")
    assert pseudonym not in persons_of_latest_build(world)
    assert "opt-outs recorded up to" in client(world).get("/register").text

    # Withdrawn: builds from then on include the person again.
    assert patient.post("/patients/optout/withdraw", data={"csrf": token}).status_code == 200
    service.refresh(world, "p-1", "ada")
    assert pseudonym in persons_of_latest_build(world)
    actions = audit_actions(world)
    for action in ("patient.code.issue", "patient.signin", "patient.view", "lake.optout"):
        assert action in actions
    assert "lake.optout_withdraw" in actions
    assert person not in str(audit_bodies(world))


def test_a_code_works_once_and_every_refusal_looks_the_same(
    world: Settings, lake_template: Path
) -> None:
    in_lake, _other = patient_ids(lake_template, 2)
    used = issue(world, in_lake)
    assert sign_in(client(world), used).status_code == 303
    not_in_lake = issue(world, "no-such-person-anywhere")  # issuing reveals nothing
    answers = {
        "used": sign_in(client(world), used),
        "wrong": sign_in(client(world), "ABCD-EFGH-JKMN"),
        "garbage": sign_in(client(world), "<script>"),
    }
    texts = set()
    for name, r in answers.items():
        assert r.status_code == 400, name
        main = r.text.split('<main id="main">')[1]
        texts.add(re.sub(r'value="[0-9a-f]+"', "", main))
    assert len(texts) == 1  # the same page whatever the reason
    # A person the lake does not hold sees the same page as one no project used.
    r = sign_in(client(world), not_in_lake)
    assert r.status_code == 303


def test_attempts_are_limited_per_client_and_audited(world: Settings, lake_template: Path) -> None:
    code = issue(world, patient_ids(lake_template, 1)[0])
    attacker = {"x-forwarded-for": "203.0.113.7"}
    for _ in range(world.patient_attempts_per_client):
        assert sign_in(client(world), "ZZZZ-ZZZZ-ZZZZ", **attacker).status_code == 400
    r = sign_in(client(world), code, **attacker)  # even the right code waits now
    assert r.status_code == 429 and "Too many attempts" in r.text
    # A client cannot escape the limit by claiming another address before the proxy's hop.
    spoofed = {"x-forwarded-for": "198.51.100.1, 203.0.113.7"}
    assert sign_in(client(world), code, **spoofed).status_code == 429
    # Another client is not held up by this one (checked without using the code).
    other = sign_in(client(world), "ZZZZ-ZZZZ-ZZZZ", **{"x-forwarded-for": "192.0.2.9"})
    assert other.status_code == 400
    # Without the proxy in front (a direct peer), the header counts for nothing.
    direct = client(world, peer="192.0.2.50")
    for _ in range(world.patient_attempts_per_client):
        sign_in(direct, "ZZZZ-ZZZZ-ZZZZ", **{"x-forwarded-for": "192.0.2.9"})
    assert sign_in(client(world, peer="192.0.2.50"), code).status_code == 429
    actions = audit_actions(world)
    assert actions.count("patient.signin") == 2 * world.patient_attempts_per_client + 1
    assert actions.count("patient.signin_limited") == 2  # once per client and window
    assert "203.0.113.7" not in str(audit_bodies(world))


def test_a_total_limit_bounds_guessing_from_many_addresses(
    world: Settings, monkeypatch: pytest.MonkeyPatch, lake_template: Path
) -> None:
    monkeypatch.setenv("TRE_PATIENT_ATTEMPTS_TOTAL", "3")
    from tre.config import load_settings

    strict = load_settings()
    code = issue(strict, patient_ids(lake_template, 1)[0])
    for i in range(3):
        assert (
            sign_in(
                client(strict), "ZZZZ-ZZZZ-ZZZZ", **{"x-forwarded-for": f"10.0.0.{i}"}
            ).status_code
            == 400
        )
    assert sign_in(client(strict), code, **{"x-forwarded-for": "10.0.0.99"}).status_code == 429


def test_without_a_session_nothing_is_shown_or_changed(world: Settings) -> None:
    anyone = client(world)
    r = anyone.get("/patients/me", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/patients"
    anyone.cookies.set("tre_patient", "guessed-token")
    assert (
        anyone.post("/patients/optout", data={"csrf": "x"}, follow_redirects=False).status_code
        == 303
    )
    assert "lake.optout" not in audit_actions(world)


def test_only_admins_and_data_holders_issue_codes(world: Settings) -> None:
    assert client(world, "lena").get("/admin/patient-codes").status_code == 403
    c = client(world, "hosp")
    page = c.get("/admin/patient-codes").text
    r = c.post(
        "/admin/patient-codes", data={"csrf": csrf(page), "source": "demo", "identifier": " "}
    )
    assert r.status_code == 400 and 'id="f-identifier-error"' in r.text
