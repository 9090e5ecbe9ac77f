"""`tre up --demo`'s world, made without starting a hub: lake, people, project, hub accounts.

Real SQLite control database, real ingest and provisioning, the real JupyterHub database
schema with NativeAuthenticator's table; run twice to show a second `tre up --demo` reuses
what the first made.
"""

from __future__ import annotations

from pathlib import Path

import onetimepass
import pytest
from sqlalchemy import func, select

pytestmark = [pytest.mark.slow]


def test_demo_world_is_made_once_and_reused(tre_home: Path) -> None:
    from tre.cli.init import initialise
    from tre.config import load_settings
    from tre.db import Project, User, session_scope
    from tre.lake.catalog import load_catalog
    from tre.workspace.access import current_extract, start_reasons
    from tre.workspace.demo import DEMO_PEOPLE, setup_demo

    settings = load_settings(home=tre_home)
    initialise(settings)
    steps: list[str] = []
    world = setup_demo(settings, steps.append)
    assert steps == ["demo-data", "ingest", "project", "provision"]

    with session_scope(settings) as session:
        users = {u.username: sorted(u.roles) for u in session.execute(select(User)).scalars()}
        project = session.get(Project, world.project_id)
        assert project is not None
        assert project.status == "approved"
        assert project.provisioned_at is not None
        assert project.permit is not None and project.permit.revoked_at is None
        members = {m.username: m.role for m in project.members}
    assert users == {name: sorted(roles) for name, roles in DEMO_PEOPLE.items()}
    assert members == {"analyst1": "lead", "analyst2": "analyst"}
    assert load_catalog(settings).datasets
    assert current_extract(settings, world.project_id) is not None
    # The workspace decision, from the database: the analysts may start, a checker may not.
    assert start_reasons(settings, "analyst2", world.project_id) == []
    assert start_reasons(settings, "checker1", world.project_id)

    steps.clear()
    again = setup_demo(settings, steps.append)
    assert again.project_id == world.project_id
    assert steps == []  # nothing regenerated, ingested, applied for or provisioned again
    with session_scope(settings) as session:
        assert session.execute(select(func.count()).select_from(Project)).scalar() == 1


def test_demo_hub_accounts_are_approved_with_password_and_totp(tre_home: Path) -> None:
    from jupyterhub import orm
    from nativeauthenticator.orm import UserInfo

    from tre.config import load_settings
    from tre.workspace.demo import hub_accounts
    from tre.workspace.hub import hub_dir

    settings = load_settings(home=tre_home)
    first = hub_accounts(settings, ["admin", "analyst1"])
    second = hub_accounts(settings, ["admin", "analyst1"])
    assert first == second  # a second run reuses the accounts and their secrets
    assert first["admin"]["password"] != first["analyst1"]["password"]
    assert (hub_dir(settings) / "demo-accounts.json").stat().st_mode & 0o077 == 0

    db = orm.new_session_factory(f"sqlite:///{hub_dir(settings) / 'jupyterhub.sqlite'}")()
    try:
        info = UserInfo.find(db, "analyst1")
        assert info is not None and info.is_authorized and info.has_2fa
        assert info.is_valid_password(first["analyst1"]["password"])
        assert not info.is_valid_password("wrong-password-here")
        code = str(onetimepass.get_totp(first["analyst1"]["totp_secret"])).zfill(6)
        assert info.is_valid_token(code)
        assert orm.User.find(db, "admin").admin
        assert not orm.User.find(db, "analyst1").admin
    finally:
        db.close()
