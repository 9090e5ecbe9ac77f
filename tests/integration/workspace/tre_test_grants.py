"""Governance facts for the workspace tests, read from `$TRE_HOME/test-grants.json`.

A stand-in for the control database only: the decision itself is the real one
(`tre.workspace.access.decide`, i.e. the policy engine's `workspace.start`).
File shape: {"projects": {"p-1": {"members": {"alice": "analyst"}, "revoked": false}}}.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from tre.config import Settings
from tre.workspace import access


def facts(settings: Settings, username: str, project_id: str) -> dict[str, Any]:
    path = settings.home_path / "test-grants.json"
    projects = json.loads(path.read_text())["projects"] if path.exists() else {}
    project = projects.get(project_id)
    if project is None:
        return {
            "actor": {"username": username, "known": True, "roles": []},
            "project": {"id": project_id},
        }
    return {
        "actor": {"username": username, "known": True, "roles": []},
        "project": {"id": project_id, "status": "approved", "members": project["members"]},
        "permit": {
            "grant": {},
            "valid_from": "2000-01-01",
            "valid_to": "2999-12-31",
            "revoked": bool(project.get("revoked")),
        },
        "today": date.today().isoformat(),
        "settings": {"separation_of_duties": True},
    }


def start_reasons(settings: Settings, username: str, project_id: str) -> list[str]:
    return access.start_reasons_for(settings, facts(settings, username, project_id), project_id)
