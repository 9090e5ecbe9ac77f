"""Who used a person's records: the projects whose extracts included them.

The person is named by source and source identifier; their lake pseudonym is computed as the
lake does (`tre.lake.optout.lake_person_id`) and looked up in `extract_persons`. The answer
lists each project once (title, organisation, approved period, first and last inclusion)
and says whether the person has opted out. A person no extract included gets an empty list.
Only the pseudonym is used; the identifier is never stored or logged.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from tre import audit, policy
from tre.config import Settings
from tre.db import Project, session_scope
from tre.extract.records import ExtractBuild, ExtractPerson
from tre.lake.optout import lake_person_id, opted_out
from tre.projects import policy_input


def lookup(settings: Settings, actor: str, source: str, identifier: str) -> dict[str, Any]:
    """The projects whose extracts included this person, and their opt-out status."""
    pseudonym = lake_person_id(settings, source, identifier)
    with session_scope(settings) as session:
        policy.require(settings, "transparency.lookup", policy_input(session, actor))
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
        projects = [
            {
                "id": project.id,
                "title": project.title,
                "organisation": project.organisation,
                "purpose": project.purpose,
                "status": project.status,
                "period": {"start": project.period_start, "end": project.period_end},
                "first_included": first,
                "last_included": last,
            }
            for project, first, last in rows
        ]
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
