"""Who used a person's records: the projects whose extracts included them.

The person is named by source and source identifier; their lake pseudonym is computed as the
lake does (`tre.lake.optout.lake_person_id`) and looked up in `extract_persons`. The answer
lists each project once (title, organisation, approved period, first and last inclusion)
and says whether the person has opted out. A person no extract included gets an empty list.
Only the pseudonym is used; the identifier is never stored or logged.

`public_register` is the register of decisions (`tre.projects.register`) with, for each
permit, when its current extract was built and the date of the opt-out list that build used.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tre import audit, policy
from tre.config import Settings
from tre.db import Project, session_scope
from tre.extract.records import ExtractBuild, ExtractPerson
from tre.lake.optout import lake_person_id, opted_out
from tre.projects import policy_input, register


def lookup(settings: Settings, actor: str, source: str, identifier: str) -> dict[str, Any]:
    """The projects whose extracts included this person, and their opt-out status."""
    pseudonym = lake_person_id(settings, source, identifier)
    with session_scope(settings) as session:
        policy.require(settings, "transparency.lookup", policy_input(session, actor))
        projects = person_uses(session, pseudonym)
        audit.record(
            session,
            actor=actor,
            action="transparency.lookup",
            object_type="source",
            object_id=source,
            body={"projects": len(projects)},
        )
    return {
        "source": source,
        "opted_out": pseudonym in opted_out(settings),
        "projects": projects,
    }


def person_uses(session: Session, pseudonym: str) -> list[dict[str, Any]]:
    """The projects whose extracts included the lake person `pseudonym` (the caller asks the
    policy and audits)."""
    rows = session.execute(
        select(
            Project,
            func.min(ExtractBuild.built_at),
            func.max(ExtractBuild.built_at),
        )
        .join(ExtractBuild, ExtractBuild.project_id == Project.id)
        .join(ExtractPerson, ExtractPerson.build_id == ExtractBuild.id)
        .where(ExtractPerson.lake_pseudonym == pseudonym)
        .group_by(Project.id)
        .order_by(Project.number)
    ).all()
    return [
        {
            "id": project.id,
            "title": project.title,
            "organisation": project.organisation,
            "purpose": project.purpose,
            "status": project.status,
            "period": {"start": project.period_start, "end": project.period_end},
            "permit": None
            if project.permit is None
            else {"valid_from": project.permit.valid_from, "valid_to": project.permit.valid_to},
            "first_included": first,
            "last_included": last,
        }
        for project, first, last in rows
    ]


def latest_builds(session: Session) -> dict[str, ExtractBuild]:
    """Each project's latest recorded extract build."""
    newest = (
        select(ExtractBuild.project_id, func.max(ExtractBuild.built_at).label("at"))
        .group_by(ExtractBuild.project_id)
        .subquery()
    )
    rows = session.execute(
        select(ExtractBuild).join(
            newest,
            (ExtractBuild.project_id == newest.c.project_id)
            & (ExtractBuild.built_at == newest.c.at),
        )
    ).scalars()
    return {build.project_id: build for build in rows}


def public_register(settings: Settings) -> list[dict[str, Any]]:
    """The register of decisions, with each permit's latest extract build and the date of the
    opt-out list that build used (opt-outs recorded later apply to later builds only)."""
    entries = register(settings)
    with session_scope(settings) as session:
        builds = latest_builds(session)
    for entry in entries:
        build = builds.get(entry["id"])
        entry["extract"] = (
            None
            if build is None
            else {"built_at": build.built_at, "optouts_as_of": build.optouts_as_of}
        )
    return entries
