"""Administration on the portal: provisioning in the background with a progress page and the
extract's status, members changed only explicitly, accounts with errors next to fields and a
second factor reset that takes effect at the hub, audit verification, the ingest history."""

from __future__ import annotations

import time

from dab_world import application_form, client, csrf
from test_apply_pages import counts, submit
from test_review_pages import post

from tre import projects
from tre.config import Settings


def approved(world: Settings) -> None:
    submit(client(world, "lena"), application_form())
    projects.approve(world, "appy", "p-1", reason="Sound.")


def wait_for_job(c, url: str) -> str:  # type: ignore[no-untyped-def]
    """Read the job's page as a browser would (it reloads itself) until the job ended."""
    for _ in range(600):
        page = c.get(url + "?follow=1").text
        if 'http-equiv="refresh"' not in page:
            return page
        time.sleep(0.1)
    raise AssertionError("the job did not end")


def test_provisioning_runs_in_the_background_and_shows_the_extract(world: Settings) -> None:
    approved(world)
    ada = client(world, "ada")
    r = post(ada, "/admin/projects/p-1/provision", {})
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/jobs/")
    job_url = r.headers["location"]
    assert client(world, "appy").get(job_url).status_code in (403, 404)  # not theirs
    page = wait_for_job(ada, job_url)
    assert "Finished" in page and 'id="job-result"' in page
    status = ada.get("/admin/projects/p-1").text
    assert 'id="extract-status"' in status and "Persons" in status
    # The applicant is told the data is ready and can open the workspace.
    lena = client(world, "lena")
    assert "is ready" in lena.get("/notices").text
    assert 'id="open-workspace"' in lena.get("/applications/p-1").text
    # The register shows the date of the opt-out list the build used.
    assert "opt-outs recorded up to" in client(world).get("/register").text


def test_a_refused_provision_says_why_on_the_job_page(world: Settings) -> None:
    submit(client(world, "lena"), application_form())  # submitted, not approved
    ada = client(world, "ada")
    page = wait_for_job(ada, post(ada, "/admin/projects/p-1/provision", {}).headers["location"])
    assert "Failed" in page and "only an approved project can be provisioned" in page


def test_members_change_only_explicitly_on_the_page(world: Settings) -> None:
    approved(world)
    ada = client(world, "ada")
    before = counts(world)
    r = post(ada, "/admin/projects/p-1/members/add", {"username": "lena", "role": "analyst"})
    assert r.status_code == 400 and "lena is already a member (lead)" in r.text
    assert 'value="lena"' in r.text  # what was typed is kept
    r = post(ada, "/admin/projects/p-1/members/role", {"username": "lena", "role": "analyst"})
    assert r.status_code == 400 and "only by handing the lead over" in r.text
    assert counts(world) == before
    assert post(ada, "/admin/projects/p-1/members/handover", {"username": "ana"}).status_code == 303
    members = {m["username"]: m["role"] for m in projects.show(world, "ada", "p-1")["members"]}
    assert members == {"lena": "analyst", "ana": "lead"}


def test_accounts_form_errors_and_a_new_account(world: Settings) -> None:
    ada = client(world, "ada")
    r = post(ada, "/admin/users", {"username": "Bad Name", "email": "not-an-address"})
    assert r.status_code == 400
    for field in ("username", "email", "roles"):
        assert f'id="f-{field}-error"' in r.text, field
    assert 'value="Bad Name"' in r.text and 'value="not-an-address"' in r.text
    r = post(
        ada, "/admin/users", {"username": "kai", "email": "kai@example.org", "roles": ["analyst"]}
    )
    assert r.status_code == 200 and 'id="saved"' in r.text and "kai@example.org" in r.text
    assert client(world, "lena").get("/admin/users").status_code == 403


def test_resetting_a_second_factor_takes_effect_at_the_hub(world: Settings) -> None:
    import onetimepass
    from jupyterhub import orm

    from tre.workspace.auth import TreNativeAuthenticator
    from tre.workspace.demo import hub_accounts
    from tre.workspace.hub import hub_dir

    old = hub_accounts(world, ["lena"])["lena"]["totp_secret"]
    db = orm.new_session_factory(f"sqlite:///{hub_dir(world) / 'jupyterhub.sqlite'}")()
    authenticator = TreNativeAuthenticator(db=db)
    held = authenticator.get_user("lena")  # the hub holds the account from an earlier sign-in
    assert held.is_valid_token(onetimepass.get_totp(old, as_string=True))
    ada = client(world, "ada")
    page = ada.get("/admin/users").text
    assert "authorised" in page
    r = ada.post("/admin/users/lena/reset-2fa", data={"csrf": csrf(page)}, follow_redirects=False)
    assert r.status_code == 200 and 'id="new-secret"' in r.text
    assert r.headers["cache-control"] == "no-store"
    fresh = authenticator.get_user("lena")
    assert not fresh.is_valid_token(onetimepass.get_totp(old, as_string=True))
    new = fresh.otp_secret
    assert new in r.text and new != old
    assert fresh.is_valid_token(onetimepass.get_totp(new, as_string=True))
    db.close()
    assert "user.reset_2fa" in audit_actions(world)
    assert new not in str(audit_bodies(world))


def audit_actions(world: Settings) -> list[str]:
    from sqlalchemy import select

    from tre.db import AuditEvent, session_scope

    with session_scope(world) as session:
        return list(session.execute(select(AuditEvent.action)).scalars())


def audit_bodies(world: Settings) -> list[str]:
    from sqlalchemy import select

    from tre.db import AuditEvent, session_scope

    with session_scope(world) as session:
        return list(session.execute(select(AuditEvent.body)).scalars())


def test_audit_verification_in_the_background_finds_tampering(world: Settings) -> None:
    from sqlalchemy import text

    from tre.db import session_scope

    ada = client(world, "ada")
    page = wait_for_job(ada, post(ada, "/admin/audit/verify", {}).headers["location"])
    assert "The audit chain verifies" in page
    with session_scope(world) as session:
        session.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2"))
    page = wait_for_job(ada, post(ada, "/admin/audit/verify", {}).headers["location"])
    assert "tampered with at event 2" in page
    assert "tampered with at event 2" in ada.get("/admin/audit").text


def test_ingest_history_lists_the_snapshots(world: Settings) -> None:
    page = client(world, "ada").get("/admin/ingests").text
    assert "demo" in page and "patient" in page
