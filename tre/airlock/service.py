"""Release requests after drafting: submit, review, decide, release (with its Five Safes
RO-Crate, `tre.airlock.crate`), withdraw, revoke, override. Drafting (create, groups, files)
lives in `tre.airlock.drafts` and is re-exported here, so `service` stays the one entry point
for the command line and the portal.

Every change is one transaction taking the steps of `tre.airlock.transitions.move`: the
state table, then the policy, then the new state and its audit event. At submit the files
are re-verified against their hashes and re-checked.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tre import __version__, policy
from tre.airlock import checks, crate, facts, release
from tre.airlock.drafts import (
    DEFAULT_GROUP,
    add_files,
    create,
    file_summary,
    groups_missing_context,
    remove_file,
    set_group,
)
from tre.airlock.reviewing import add_comments, comment, resolve, review
from tre.airlock.reviews import VOTES
from tre.airlock.states import State
from tre.airlock.transitions import audit_event, content_store, load, move, now
from tre.config import Settings
from tre.db import Project, session_scope
from tre.db.airlock_models import AirlockRequest, FileVersion
from tre.errors import InputError
from tre.i18n import _

__all__ = [
    "DEFAULT_GROUP",
    "VOTES",
    "add_files",
    "comment",
    "content_store",
    "create",
    "decide",
    "file_summary",
    "load",
    "override",
    "release_now",
    "remove_file",
    "resolve",
    "review",
    "revoke",
    "set_group",
    "submit",
    "withdraw",
]


def submit(settings: Settings, actor: str, request_id: str) -> dict[str, Any]:
    with session_scope(settings) as session:
        req = load(session, request_id)
        if not req.files:
            raise InputError(
                _("The request has no files."), hint=_("Add files from outputs/ first.")
            )
        missing = groups_missing_context(req)
        if missing:
            raise InputError(
                _("Groups without context or controls: {groups}.").format(
                    groups=", ".join(missing)
                ),
                hint=_("Say what each group's files show and how disclosure was controlled."),
            )
        resubmission = req.status == State.RETURNED
        # An override covers the files an admin saw blocked: new content needs a new one.
        cleared = resubmission and req.override_reason is not None
        move(
            session, settings, req, actor, "submit", "airlock.submit", files=len(req.files),
            round=req.round + 1 if resubmission else req.round, override_cleared=cleared,
        )  # fmt: skip
        if resubmission:
            req.round += 1
        if cleared:
            req.override_by = req.override_reason = req.override_at = None
        req.submitted_at = now()
        store = content_store(settings)
        project = session.get(Project, req.project_id)
        params, _required = facts.tier_limits(settings, project.tier if project else "standard")
        context = checks.check_context(settings, session, req.project_id)
        for row in req.files:
            store.verify(row.sha256)
            sidecar = (row.report.get("sidecar") or {}).get("sha256")
            if sidecar:
                store.verify(sidecar)
            row.report = checks.run(
                settings, req.project_id, store, row.sha256, row.path, params, context, sidecar
            )
            row.verdict = row.report["verdict"]
            session.add(
                FileVersion(
                    request=req, round=req.round, path=row.path, sha256=row.sha256,
                    size=row.size, detected_type=row.detected_type, verdict=row.verdict,
                    person_level=facts.file_document(row, row.path)["person_level"],
                )
            )  # fmt: skip
        blocks = sum(1 for f in req.files if f.verdict == "block")
        move(session, settings, req, "system", "checks_done", None, blocking=blocks)
        return {"id": req.id, "status": req.status, "round": req.round, "blocking": blocks}


def decide(
    settings: Settings,
    actor: str,
    request_id: str,
    decision: str,
    comment: str = "",
    private_comment: str = "",
) -> dict[str, Any]:
    """approve (then release at once), return for changes, or reject."""
    actions = {"approve": "approve", "return": "return", "reject": "reject"}
    if decision not in actions:
        raise InputError(
            _("{decision} is not a decision.").format(decision=decision),
            hint=_("Use approve, return or reject."),
        )
    with session_scope(settings) as session:
        req = load(session, request_id)
        if decision in ("return", "reject") and not (comment or "").strip():
            raise InputError(
                _("Returning or rejecting needs a comment for the author."),
                hint=_("Say what should change, or why the files cannot be released."),
            )
        # Files released although a check blocks them, under the admin's recorded override.
        overridden = [f.path for f in req.files if f.verdict == "block"]
        move(
            session, settings, req, actor, actions[decision], "airlock.decide",
            {"decision": decision}, decision=decision,
            **({"overridden": overridden} if decision == "approve" and overridden else {}),
        )  # fmt: skip
        req.decided_at, req.decided_by = now(), actor
        add_comments(session, req, actor, comment, private_comment)
        if decision == "approve":
            _release(session, settings, req, actor)
        return {"id": req.id, "status": req.status}


def _release(session: Session, settings: Settings, req: AirlockRequest, actor: str) -> None:
    move(session, settings, req, actor, "release", "airlock.release", files=len(req.files))
    stamp = now()
    manifest = release.publish(
        settings.airlock_path,
        content_store(settings),
        req.id,
        req.project_id,
        req.title,
        stamp.isoformat(),
        [release.ReleaseFile(f.path, f.sha256, f.size) for f in req.files],
    )
    req.released_at = stamp
    req.manifest_sha256 = release.manifest_digest(manifest)
    session.flush()
    record = crate.gather(session, req, settings.deployment_name, __version__)
    info = release.write_crate(settings.airlock_path, record)
    audit_event(
        session, actor, "crate", req, name=info["name"], sha256=info["sha256"],
        size=info["size"], external_identifier=info["external_identifier"],
    )  # fmt: skip


def release_now(settings: Settings, actor: str, request_id: str) -> dict[str, Any]:
    """Publish an approved request whose release did not complete (safe to repeat)."""
    with session_scope(settings) as session:
        req = load(session, request_id)
        _release(session, settings, req, actor)
        return {"id": req.id, "status": req.status}


def withdraw(settings: Settings, actor: str, request_id: str) -> dict[str, Any]:
    with session_scope(settings) as session:
        req = load(session, request_id)
        move(session, settings, req, actor, "withdraw", "airlock.withdraw")
        return {"id": req.id, "status": req.status}


def revoke(settings: Settings, actor: str, request_id: str, reason: str) -> dict[str, Any]:
    """Stop downloads of a release (the files stay, for audit)."""
    if not reason.strip():
        raise InputError(_("Revoking needs a reason."), hint=_("Give --reason."))
    with session_scope(settings) as session:
        req = load(session, request_id)
        move(
            session, settings, req, actor, "revoke", "release.revoke",
            {"release": {"status": req.status}}, reason=reason.strip(),
        )  # fmt: skip
        req.revoked_at = now()
        return {"id": req.id, "status": req.status}


def override(settings: Settings, actor: str, request_id: str, reason: str) -> dict[str, Any]:
    """An admin's recorded decision that a blocking finding may be approved anyway."""
    with session_scope(settings) as session:
        req = load(session, request_id)
        doc = facts.policy_input(session, settings, actor, req.project_id, req)
        policy.require(settings, "airlock.override", {**doc, "override": {"reason": reason}})
        req.override_by, req.override_reason, req.override_at = actor, reason.strip(), now()
        blocking = [f.path for f in req.files if f.verdict == "block"]
        audit_event(session, actor, "override", req, reason=reason.strip(), files=blocking)
        return {"id": req.id, "override": True, "files": blocking}
