"""Access facts for bench/spawn.py: one approved project, every `bench-<n>` its analyst.

Imported inside the hub (its path is put on PYTHONPATH by the benchmark). The decision is the
real one (`tre.workspace.access.start_reasons_for`, i.e. the policy engine's
`workspace.start`, with the extract checked on disk); only the governance facts are fixed,
so the figure does not depend on the control database.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tre.config import Settings
from tre.workspace import access


def facts(username: str, project_id: str) -> dict[str, Any]:
    members = {username: "analyst"} if username.startswith("bench-") else {}
    return {
        "actor": {"username": username, "known": True, "roles": ["analyst"]},
        "project": {"id": project_id, "status": "approved", "members": members},
        "permit": {
            "grant": {},
            "valid_from": "2000-01-01",
            "valid_to": "2999-12-31",
            "revoked": False,
        },
        "today": date.today().isoformat(),
    }


def start_reasons(settings: Settings, username: str, project_id: str) -> list[str]:
    return access.start_reasons_for(settings, facts(username, project_id), project_id)
