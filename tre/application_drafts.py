"""Applications being written: the portal's form as typed, kept until it is submitted.

A draft is checked only when submitted (`tre.application.validate_application`); until then
it holds whatever was typed, capped in size. Only its owner sees or changes it. Saving and
deleting are asked of the policy as applying is (`project.apply`: an account is needed) and
audited without their contents.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from tre import audit, policy
from tre.config import Settings
from tre.db import ApplicationDraft, session_scope
from tre.errors import InputError, NotFound
from tre.i18n import _
from tre.users import actor_document

MAX_FIELD = 10_000
MAX_VALUES = 2_000


def _clean(form: dict[str, Any]) -> dict[str, Any]:
    """Strings and lists of strings only, each within the caps."""
    cleaned: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, list):
            if len(value) > MAX_VALUES:
                raise InputError(_("The form has too many values."))
            cleaned[str(key)[:100]] = [str(v)[:MAX_FIELD] for v in value]
        else:
            if len(str(value)) > MAX_FIELD:
                raise InputError(_("A field is longer than {n} characters.").format(n=MAX_FIELD))
            cleaned[str(key)[:100]] = str(value)
    return cleaned


def _own(session: Any, actor: str, draft_id: str) -> ApplicationDraft:
    draft = session.get(ApplicationDraft, draft_id)
    if draft is None or draft.owner != actor:  # someone else's draft does not exist for you
        raise NotFound(_("There is no draft {id}.").format(id=draft_id))
    return draft


def save_draft(
    settings: Settings, actor: str, form: dict[str, Any], draft_id: str | None = None
) -> str:
    """Keep the form as typed; return the draft's id."""
    cleaned = _clean(form)
    with session_scope(settings) as session:
        policy.require(settings, "project.apply", {"actor": actor_document(session, actor)})
        now = datetime.now(UTC)
        if draft_id:
            draft = _own(session, actor, draft_id)
            draft.form, draft.updated_at = cleaned, now
        else:
            draft = ApplicationDraft(
                id=f"d-{secrets.token_hex(6)}", owner=actor, form=cleaned,
                created_at=now, updated_at=now,
            )  # fmt: skip
            session.add(draft)
        session.flush()
        audit.record(
            session, actor=actor, action="project.draft", object_type="draft", object_id=draft.id
        )
        return draft.id


def get_draft(settings: Settings, actor: str, draft_id: str) -> dict[str, Any]:
    with session_scope(settings) as session:
        draft = _own(session, actor, draft_id)
        return {"id": draft.id, "form": dict(draft.form), "updated_at": draft.updated_at}


def list_drafts(settings: Settings, actor: str) -> list[dict[str, Any]]:
    with session_scope(settings) as session:
        drafts = session.execute(
            select(ApplicationDraft)
            .where(ApplicationDraft.owner == actor)
            .order_by(ApplicationDraft.updated_at.desc())
        ).scalars()
        return [
            {"id": d.id, "title": str(d.form.get("title", "")), "updated_at": d.updated_at}
            for d in drafts
        ]


def delete_draft(settings: Settings, actor: str, draft_id: str) -> None:
    with session_scope(settings) as session:
        session.delete(_own(session, actor, draft_id))
        audit.record(
            session, actor=actor, action="project.draft_delete", object_type="draft",
            object_id=draft_id,
        )  # fmt: skip
