"""What a verified person sees and changes: their records' use, and their opt-out.

Every function takes a `VerifiedPerson` (from an `IdentityProvider`), asks the policy with
the proof stated (`patient.view`, `patient.optout`, `patient.optout_withdraw`) and is audited
under the proof's id, never under the person's identifier. An opt-out applies to extracts
built after it is recorded; extracts built before keep their data until they are rebuilt or
deleted, and still appear in the person's list (what was used stays visible).
"""

from __future__ import annotations

from typing import Any

from tre import audit, policy
from tre.config import Settings
from tre.db import session_scope
from tre.extract.transparency import person_uses
from tre.lake.optout import optout_entry, record_optout, withdraw_optout
from tre.patients.identity import VerifiedPerson


def _require(settings: Settings, action: str) -> None:
    policy.require(settings, action, {"patient": {"verified": True}})


def actor(person: VerifiedPerson) -> str:
    return f"patient:{person.proof_id}"


def overview(settings: Settings, person: VerifiedPerson) -> dict[str, Any]:
    """The projects whose extracts included the person, and their opt-out (if any)."""
    _require(settings, "patient.view")
    with session_scope(settings) as session:
        projects = person_uses(session, person.person_id)
        audit.record(
            session, actor=actor(person), action="patient.view", object_type="patient_code",
            object_id=person.proof_id, body={"projects": len(projects)},
        )  # fmt: skip
    entry = optout_entry(settings, person.person_id)
    return {
        "projects": projects,
        "opted_out": entry is not None,
        "opted_out_at": entry["recorded_at"] if entry else None,
    }


def opt_out(settings: Settings, person: VerifiedPerson) -> dict[str, Any]:
    _require(settings, "patient.optout")
    return record_optout(settings, person.source, person.person_id, actor(person))


def withdraw(settings: Settings, person: VerifiedPerson) -> bool:
    _require(settings, "patient.optout_withdraw")
    return withdraw_optout(settings, person.person_id, actor(person))
