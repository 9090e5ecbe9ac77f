"""Release requests: create, add files, submit, review, decide, release, withdraw, revoke.

Every change happens in one transaction that (1) checks the move against the state table
(`states.check_transition`), (2) asks the policy (`tre.policy.require`, which raises with
the policy's reasons), (3) writes the new state and (4) appends the audit event. A refusal
at any step changes nothing. Files enter the request only through `intake.intake_file`
(content-addressed copy) and are checked by `tre.sdc` as soon as they are added, so the
author sees the findings before submitting; they are re-verified and re-checked at submit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tre import audit, policy
from tre.airlock import checks, facts, release
from tre.airlock.checks import outputs_dir
from tre.airlock.intake import intake_file
from tre.airlock.states import EDITABLE, State, check_transition
from tre.airlock.store import ContentStore
from tre.config import Settings
from tre.db import Project, session_scope
from tre.db.airlock_models import AirlockRequest, Comment, FileGroup, FileVote, RequestFile
from tre.errors import InputError, InvalidTransition, NotFound
from tre.i18n import _

VOTES = ("approve", "changes_requested")
DEFAULT_GROUP = "main"


def now() -> datetime:
    return datetime.now(UTC)


def content_store(settings: Settings) -> ContentStore:
    return ContentStore(settings.airlock_path / "store")


def load(session: Session, request_id: str) -> AirlockRequest:
    req = session.get(AirlockRequest, request_id)
    if req is None:
        raise NotFound(
            _("There is no release request {id}.").format(id=request_id),
            hint=_("List requests with `tre airlock list`."),
        )
    return req


def _audit(session: Session, actor: str, action: str, req: AirlockRequest, **body: Any) -> None:
    audit.record(
        session,
        actor=actor,
        action=f"airlock.{action}",
        object_type="airlock_request",
        object_id=req.id,
        body={"project": req.project_id, **body},
    )


def _move(
    session: Session,
    settings: Settings,
    req: AirlockRequest,
    actor: str,
    action: str,
    policy_action: str | None,
    extra: dict[str, Any] | None = None,
    **body: Any,
) -> None:
    """Check the table, then the policy, then set the state and audit it."""
    target = check_transition(req.status, action)
    if policy_action is not None:
        doc = facts.policy_input(session, actor, req.project_id, req)
        policy.require(settings, policy_action, {**doc, **(extra or {})})
    old = req.status
    req.status = target.value
    req.updated_at = now()
    _audit(session, actor, action, req, **{"from": old, "to": target.value, **body})


def _require_editable(
    session: Session, settings: Settings, actor: str, req: AirlockRequest
) -> None:
    doc = facts.policy_input(session, actor, req.project_id, req)
    policy.require(settings, "airlock.submit", doc)
    if State(req.status) not in EDITABLE:
        raise InvalidTransition(
            _("A request in state '{state}' can no longer be changed.").format(state=req.status),
            hint=_("Only draft or returned requests can be edited."),
        )


# --- drafting -----------------------------------------------------------------------------
def create(
    settings: Settings,
    actor: str,
    project_id: str,
    title: str,
    paths: list[str] | None = None,
    group: str = DEFAULT_GROUP,
    context: str | None = None,
    controls: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Create a draft, optionally with files and a group's context and controls, in one
    transaction: a refused file leaves no draft behind."""
    title = title.strip()
    if not title:
        raise InputError(_("A release request needs a title."), hint=_("Say what the files show."))
    with session_scope(settings) as session:
        doc = facts.policy_input(session, actor, project_id)
        doc["request"] = {"status": "draft", "author": actor, "votes": []}
        policy.require(settings, "airlock.submit", doc)
        number = (session.execute(select(func.max(AirlockRequest.number))).scalar() or 0) + 1
        req = AirlockRequest(
            id=f"r-{number}", number=number, project_id=project_id, author=actor, title=title
        )
        session.add(req)
        session.flush()
        _audit(session, actor, "create", req)
        if paths:
            _add(session, settings, actor, req, paths, group, progress)
        if context is not None or controls is not None:
            grp = _group(session, req, group.strip() or DEFAULT_GROUP)
            grp.context, grp.controls = (context or "").strip(), (controls or "").strip()
        return {"id": req.id, "status": req.status}


def _group(session: Session, req: AirlockRequest, name: str) -> FileGroup:
    for group in req.groups:
        if group.name == name:
            return group
    group = FileGroup(request=req, name=name)
    session.add(group)
    session.flush()
    return group


def set_group(
    settings: Settings,
    actor: str,
    request_id: str,
    name: str,
    context: str | None = None,
    controls: str | None = None,
) -> dict[str, Any]:
    """Create a group or set its context (what the files show) and controls (how they were
    made safe)."""
    with session_scope(settings) as session:
        req = load(session, request_id)
        _require_editable(session, settings, actor, req)
        group = _group(session, req, name.strip() or DEFAULT_GROUP)
        if context is not None:
            group.context = context.strip()
        if controls is not None:
            group.controls = controls.strip()
        _audit(session, actor, "group", req, group=group.name)
        return {"name": group.name, "context": group.context, "controls": group.controls}


def add_files(
    settings: Settings,
    actor: str,
    request_id: str,
    paths: list[str],
    group: str = DEFAULT_GROUP,
    progress: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Copy files from outputs/ into the store, check them, and add them to a draft.

    All or nothing: one refused file leaves the request as it was. `progress` is called
    with each path once it has been copied and checked.
    """
    with session_scope(settings) as session:
        req = load(session, request_id)
        _require_editable(session, settings, actor, req)
        return _add(session, settings, actor, req, paths, group, progress)


def _add(
    session: Session,
    settings: Settings,
    actor: str,
    req: AirlockRequest,
    paths: list[str],
    group: str,
    progress: Callable[[str], None] | None,
) -> list[dict[str, Any]]:
    project = session.get(Project, req.project_id)
    params, _required = facts.tier_limits(settings, project.tier if project else "standard")
    store = content_store(settings)
    grp = _group(session, req, group.strip() or DEFAULT_GROUP)
    context = checks.check_context(settings, session, req.project_id)
    added = []
    for path in paths:
        stored = intake_file(
            outputs_dir(settings, req.project_id),
            path,
            store,
            max_bytes=params.max_file_bytes,
            allowed_types=params.allowed_types,
        )
        sidecar = None
        if stored.detected_type in ("csv", "tsv"):
            sidecar = checks.intake_sidecar(settings, req.project_id, store, stored.path)
        report = checks.run(
            settings, req.project_id, store, stored.sha256, stored.path, params, context,
            sidecar,
        )  # fmt: skip
        existing = next((f for f in req.files if f.path == stored.path), None)
        row = existing or RequestFile(request=req, path=stored.path)
        row.group_id, row.sha256, row.size = grp.id, stored.sha256, stored.size
        row.detected_type, row.rows, row.added_at = stored.detected_type, stored.rows, now()
        row.report, row.verdict = report, report["verdict"]
        session.add(row)
        _audit(
            session, actor, "add_file", req, path=row.path, sha256=row.sha256,
            size=row.size, verdict=row.verdict,
        )  # fmt: skip
        added.append(file_summary(row))
        if progress is not None:
            progress(row.path)
    return added


def remove_file(settings: Settings, actor: str, request_id: str, path: str) -> None:
    with session_scope(settings) as session:
        req = load(session, request_id)
        _require_editable(session, settings, actor, req)
        row = next((f for f in req.files if f.path == path), None)
        if row is None:
            raise NotFound(_("The request has no file {path}.").format(path=path))
        req.files.remove(row)
        _audit(session, actor, "remove_file", req, path=path)


def file_summary(row: RequestFile) -> dict[str, Any]:
    return {
        "path": row.path,
        "group": row.group.name if row.group else None,
        "sha256": row.sha256,
        "size": row.size,
        "detected_type": row.detected_type,
        "rows": row.rows,
        "verdict": row.verdict,
        "findings": row.report.get("findings", []),
    }


# --- submission and review ----------------------------------------------------------------
def submit(settings: Settings, actor: str, request_id: str) -> dict[str, Any]:
    with session_scope(settings) as session:
        req = load(session, request_id)
        if not req.files:
            raise InputError(
                _("The request has no files."), hint=_("Add files from outputs/ first.")
            )
        used = {f.group_id for f in req.files}
        missing = [g.name for g in req.groups if g.id in used and not (g.context and g.controls)]
        if missing:
            raise InputError(
                _("Groups without context or controls: {groups}.").format(
                    groups=", ".join(missing)
                ),
                hint=_("Say what each group's files show and how disclosure was controlled."),
            )
        resubmission = req.status == State.RETURNED
        _move(session, settings, req, actor, "submit", "airlock.submit", files=len(req.files))
        if resubmission:
            req.round += 1
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
        blocks = sum(1 for f in req.files if f.verdict == "block")
        _move(session, settings, req, "system", "checks_done", None, blocking=blocks)
        return {"id": req.id, "status": req.status, "round": req.round, "blocking": blocks}


def review(
    settings: Settings,
    actor: str,
    request_id: str,
    votes: dict[str, str],
    comment: str = "",
    private_comment: str = "",
) -> dict[str, Any]:
    """Record one reviewer's votes on every file of the current round."""
    with session_scope(settings) as session:
        req = load(session, request_id)
        paths = {f.path for f in req.files}
        if set(votes) != paths:
            raise InputError(
                _("A review needs a vote on every file of the request ({n} files).").format(
                    n=len(paths)
                ),
                hint=_("Vote approve or changes_requested on each file."),
            )
        if any(v not in VOTES for v in votes.values()):
            raise InputError(_("Votes are approve or changes_requested."))
        doc = facts.policy_input(session, actor, req.project_id, req)
        policy.require(settings, "airlock.review", doc)
        if req.status != State.IN_REVIEW:
            check_transition(req.status, "reviews_complete")  # raises with the reason
        for path, vote in sorted(votes.items()):
            session.add(
                FileVote(request=req, round=req.round, reviewer=actor, path=path, vote=vote)
            )
        _add_comments(session, req, actor, comment, private_comment)
        session.flush()
        changes = sum(1 for v in votes.values() if v != "approve")
        _audit(session, actor, "review", req, round=req.round, changes_requested=changes)
        project = session.get(Project, req.project_id)
        _params, required = facts.tier_limits(settings, project.tier if project else "standard")
        reviewers = {v.reviewer for v in req.votes if v.round == req.round}
        if len(reviewers) >= required:
            _move(session, settings, req, "system", "reviews_complete", None, reviews=required)
        return {"id": req.id, "status": req.status, "reviews": len(reviewers), "required": required}


def _add_comments(
    session: Session, req: AirlockRequest, actor: str, public: str, private: str
) -> None:
    for body, visibility in ((public, "public"), (private, "private")):
        if body and body.strip():
            session.add(
                Comment(
                    request=req, round=req.round, author=actor, visibility=visibility,
                    body=body.strip(),
                )
            )  # fmt: skip


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
        _move(
            session, settings, req, actor, actions[decision], "airlock.decide",
            {"decision": decision}, decision=decision,
        )  # fmt: skip
        req.decided_at, req.decided_by = now(), actor
        _add_comments(session, req, actor, comment, private_comment)
        if decision == "approve":
            _release(session, settings, req, actor)
        return {"id": req.id, "status": req.status}


def _release(session: Session, settings: Settings, req: AirlockRequest, actor: str) -> None:
    _move(session, settings, req, actor, "release", "airlock.release", files=len(req.files))
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


def release_now(settings: Settings, actor: str, request_id: str) -> dict[str, Any]:
    """Publish an approved request whose release did not complete (safe to repeat)."""
    with session_scope(settings) as session:
        req = load(session, request_id)
        _release(session, settings, req, actor)
        return {"id": req.id, "status": req.status}


def withdraw(settings: Settings, actor: str, request_id: str) -> dict[str, Any]:
    with session_scope(settings) as session:
        req = load(session, request_id)
        _move(session, settings, req, actor, "withdraw", "airlock.withdraw")
        return {"id": req.id, "status": req.status}


def revoke(settings: Settings, actor: str, request_id: str, reason: str) -> dict[str, Any]:
    """Stop downloads of a release (the files stay, for audit)."""
    if not reason.strip():
        raise InputError(_("Revoking needs a reason."), hint=_("Give --reason."))
    with session_scope(settings) as session:
        req = load(session, request_id)
        _move(
            session, settings, req, actor, "revoke", "release.revoke",
            {"release": {"status": req.status}}, reason=reason.strip(),
        )  # fmt: skip
        req.revoked_at = now()
        return {"id": req.id, "status": req.status}


def override(settings: Settings, actor: str, request_id: str, reason: str) -> dict[str, Any]:
    """An admin's recorded decision that a blocking finding may be approved anyway."""
    with session_scope(settings) as session:
        req = load(session, request_id)
        doc = facts.policy_input(session, actor, req.project_id, req)
        policy.require(settings, "airlock.override", {**doc, "override": {"reason": reason}})
        req.override_by, req.override_reason, req.override_at = actor, reason.strip(), now()
        blocking = [f.path for f in req.files if f.verdict == "block"]
        _audit(session, actor, "override", req, reason=reason.strip(), files=blocking)
        return {"id": req.id, "override": True, "files": blocking}
