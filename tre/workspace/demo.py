"""The demo world of `tre up --demo`: data in the lake, people, an approved and provisioned project.

`setup_demo(settings)` goes through the same services as the CLI (lake ingest, users,
projects, extract provisioning), so every step is checked by the policy and audited. Each step
is skipped when its result already exists, so a second `tre up --demo` reuses the first one's
world. `hub_accounts(settings)` then writes the demo people as approved NativeAuthenticator
accounts (password and TOTP secret) into the hub's database, before the hub starts.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from tre.config import Settings
from tre.db import Project, User, session_scope

DEMO_SOURCE = "demo"
DEMO_PATIENTS = 200
# username -> global roles. The first analyst applies and leads the project.
DEMO_PEOPLE: dict[str, list[str]] = {
    "admin": ["admin"],
    "checker1": ["output_checker"],
    "checker2": ["output_checker"],
    "analyst1": ["analyst"],
    "analyst2": ["analyst"],
}
LEAD, SECOND_ANALYST, ADMIN = "analyst1", "analyst2", "admin"
DEMO_TITLE = "Demo: diabetes care and costs by region"
DEMO_GRANT = {
    "demo.patient": ["person_id", "gender", "birth_year_month", "region"],
    "demo.condition": ["person_id", "encounter_id", "code", "code_display", "onset"],
    "demo.claim": ["person_id", "encounter_id", "created", "total_value", "currency"],
}

Step = Callable[[str], None]


@dataclass
class DemoWorld:
    project_id: str
    users: dict[str, list[str]]
    datasets: int


def _ingest(settings: Settings, say: Step) -> int:
    from tre.lake.catalog import load_catalog

    catalog = load_catalog(settings)
    if any(d.source == DEMO_SOURCE for d in catalog.datasets):
        return len(catalog.datasets)
    from tre.lake.ingest import ingest_fhir
    from tre.lake.synth import write_demo_data

    data = settings.home_path / "demo-data"
    if not (data / ".complete").exists():
        say("demo-data")
        write_demo_data(data, DEMO_PATIENTS, 1)
        (data / ".complete").write_text("")
    say("ingest")
    ingest_fhir(settings, [data], DEMO_SOURCE, actor=ADMIN)
    return len(load_catalog(settings).datasets)


def _people(settings: Settings) -> None:
    from tre.users import add_user

    with session_scope(settings) as session:
        known = {u.username: sorted(u.roles) for u in session.execute(select(User)).scalars()}
    # The admin first: while no admin exists, the policy lets a person make themselves one.
    for username, roles in DEMO_PEOPLE.items():
        if known.get(username) != sorted(roles):
            actor = username if username == ADMIN else ADMIN
            add_user(settings, actor, username, roles)


def _demo_project(settings: Settings) -> str | None:
    with session_scope(settings) as session:
        found = session.execute(select(Project).where(Project.title == DEMO_TITLE)).scalars()
        project = next(iter(found), None)
        return None if project is None else project.id


def _application(path: Path) -> Path:
    today = datetime.now(UTC).date()
    path.write_text(
        yaml.safe_dump(
            {
                "title": DEMO_TITLE,
                "lay_summary": "How diabetes care and its costs differ between regions, "
                "using synthetic records only.",
                "purpose": "scientific_research",
                "purpose_description": "Compare the costs of diabetes care between regions to "
                "find where care could be organised better.",
                "lawful_basis": "public_interest",
                "organisation": "Demo University",
                "datasets": DEMO_GRANT,
                "expected_outputs": "Aggregate tables of costs and conditions by region.",
                "period": {
                    "start": today.isoformat(),
                    "end": (today + timedelta(days=365)).isoformat(),
                },
            }
        )
    )
    return path


def _project(settings: Settings, say: Step) -> str:
    from tre import projects
    from tre.extract import service

    project_id = _demo_project(settings)
    if project_id is None:
        say("project")
        path = _application(settings.home_path / "demo-application.yaml")
        project_id = str(projects.apply(settings, LEAD, path)["id"])
    with session_scope(settings) as session:
        project = session.get(Project, project_id)
        assert project is not None
        status = project.status
        members = {m.username for m in project.members}
        provisioned = project.provisioned_at is not None
    if status == "submitted":
        projects.approve(settings, ADMIN, project_id, reason="demo")
    if SECOND_ANALYST not in members:
        projects.add_member(settings, ADMIN, project_id, SECOND_ANALYST, "analyst")
    from tre.workspace.access import current_extract

    if not provisioned or current_extract(settings, project_id) is None:
        say("provision")
        service.provision(settings, project_id, ADMIN)
    return project_id


def setup_demo(settings: Settings, say: Step | None = None) -> DemoWorld:
    """Lake data, the demo people and an approved, provisioned project; reuses what exists.

    `say(step)` is called before each long step (demo-data, ingest, project, provision).
    """
    step: Step = say or (lambda _step: None)
    datasets = _ingest(settings, step)
    _people(settings)
    project_id = _project(settings, step)
    return DemoWorld(project_id=project_id, users=dict(DEMO_PEOPLE), datasets=datasets)


# Hub accounts ------------------------------------------------------------------------------


def _accounts_file(settings: Settings) -> Path:
    from tre.workspace.hub import hub_dir

    return hub_dir(settings) / "demo-accounts.json"


@contextmanager
def _logging_unchanged() -> Iterator[None]:
    """Undo what `logging.config.fileConfig` does inside: its handlers hold the stream of the
    moment (closed later under a test runner) and its levels would print migration chatter."""
    manager = logging.Logger.manager
    before = {
        name: (logger.disabled, logger.level, logger.propagate, list(logger.handlers))
        for name, logger in [("", logging.getLogger()), *manager.loggerDict.items()]
        if isinstance(logger, logging.Logger)
    }
    try:
        yield
    finally:
        for name, logger in [("", logging.getLogger()), *manager.loggerDict.items()]:
            if not isinstance(logger, logging.Logger):
                continue
            disabled, level, propagate, handlers = before.get(name, (False, 0, True, []))
            logger.disabled, logger.propagate = disabled, propagate
            logger.setLevel(level)
            logger.handlers[:] = handlers


def hub_accounts(settings: Settings, usernames: list[str]) -> dict[str, dict[str, Any]]:
    """Approved NativeAuthenticator accounts with a password and a TOTP secret for each user.

    Written into the hub's database while the hub is stopped; created once, then reused (the
    passwords live in `<hub dir>/demo-accounts.json`, readable by the operator only).
    Returns {username: {"password", "totp_secret", "totp_uri"}}.
    """
    import bcrypt
    from jupyterhub import orm
    from nativeauthenticator.orm import UserInfo

    from tre.workspace.hub import hub_dir

    path = _accounts_file(settings)
    saved: dict[str, dict[str, Any]] = json.loads(path.read_text()) if path.exists() else {}
    hub_dir(settings).mkdir(parents=True, exist_ok=True)
    with _logging_unchanged():  # JupyterHub's migration configures logging from its alembic.ini
        db = orm.new_session_factory(f"sqlite:///{hub_dir(settings) / 'jupyterhub.sqlite'}")()
    try:
        for username in usernames:
            info = UserInfo.find(db, username)
            account = saved.get(username)
            if info is None or account is None or info.otp_secret != account["totp_secret"]:
                password = secrets.token_urlsafe(12)
                hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt())
                if info is None:
                    info = UserInfo(username=username, password=hashed)
                    db.add(info)
                info.password, info.is_authorized, info.has_2fa = hashed, True, True
                account = {"password": password, "totp_secret": info.otp_secret}
            if orm.User.find(db, username) is None:
                db.add(orm.User(name=username, admin=username == ADMIN))
            account["totp_uri"] = (
                f"otpauth://totp/TRE:{username}?secret={account['totp_secret']}&issuer=TRE"
            )
            saved[username] = account
        db.commit()
    finally:
        db.close()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(saved, indent=1))
    tmp.chmod(0o600)
    tmp.replace(path)
    return {u: saved[u] for u in usernames}
