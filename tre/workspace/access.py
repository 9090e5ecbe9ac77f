"""May this user run this project's workspace now? The one question the spawner and enforcer ask.

`start_reasons(settings, username, project_id)` returns the reasons a start is refused, or an
empty list when it is allowed. The facts (membership, permit, extract) are gathered here from
the control database and the extracts directory; the decision is the policy engine's
(`workspace.start`), so the reasons people see are the policy's deny messages. Anything missing
(no governance database, no policy) refuses: this check fails closed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tre.config import Settings
from tre.i18n import _

PROJECT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
POLICY_ACTION = "workspace.start"


def current_extract(settings: Settings, project_id: str) -> Path | None:
    """The build directory `extracts_path/<project>/current` points to, if it is complete."""
    link = settings.extracts_path / project_id / "current"
    try:
        build = link.resolve(strict=True)
    except (FileNotFoundError, RuntimeError):
        return None
    root = settings.extracts_path.resolve() / project_id
    if not build.is_dir() or root not in build.parents:
        return None
    if not (build / "catalog.duckdb").is_file():
        return None
    return build


def start_reasons(settings: Settings, username: str, project_id: str) -> list[str]:
    """Why `username` may not start `project_id`'s workspace; empty when allowed."""
    if not PROJECT_ID.match(project_id):
        return [_("A workspace is opened per project: use a project id such as p-1 as its name.")]
    return start_reasons_for(settings, governance_facts(settings, username, project_id), project_id)


def start_reasons_for(settings: Settings, facts: dict[str, Any], project_id: str) -> list[str]:
    """The decision on given governance facts, with the extract's presence checked on disk."""
    if not PROJECT_ID.match(project_id):
        return [_("A workspace is opened per project: use a project id such as p-1 as its name.")]
    project = dict(facts.get("project") or {})
    # Provisioned means the extract is really there, whatever the database says.
    project["provisioned"] = bool(project.get("provisioned", True)) and (
        current_extract(settings, project_id) is not None
    )
    return decide(settings, {**facts, "action": POLICY_ACTION, "project": project})


def governance_facts(settings: Settings, username: str, project_id: str) -> dict[str, Any]:
    """The policy input for `workspace.start`, read from the control database."""
    try:
        from tre.workspace import governance
    except ImportError:  # pragma: no cover - governance is part of the package
        return {"user": username, "project": {"id": project_id, "exists": False}}
    return governance.workspace_input(settings, username, project_id)


def decide(settings: Settings, facts: dict[str, Any]) -> list[str]:
    """Ask the policy engine (`workspace.start`); its deny messages are the reasons."""
    from tre import policy

    decision = policy.decide(settings, POLICY_ACTION, facts)
    if decision.allow:
        return []
    return list(decision.reasons) or [_("No policy rule allows starting this workspace.")]
