"""Reading release requests: what each person may see, and why an action is not open to them.

Votes are blind: while a round's reviews are still coming in, a reviewer sees only their
own votes. Private comments are for checkers and admins, never for the author.
`permissions` answers, for each action, the reasons it is refused (empty when allowed),
from the state table and the policy, so the portal can show them beside disabled buttons.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tre import audit, policy
from tre.airlock import facts, filetypes, release
from tre.airlock.checks import outputs_dir
from tre.airlock.drafts import file_summary, groups_missing_context
from tre.airlock.states import State, check_transition
from tre.airlock.transitions import load
from tre.config import Settings
from tre.db import Project, session_scope
from tre.db.airlock_models import AirlockRequest
from tre.errors import InvalidTransition, NotFound, PolicyDenied
from tre.i18n import _
from tre.users import actor_document

BLIND_STATES = frozenset({State.SUBMITTED, State.IN_REVIEW})


def _is_staff(actor_doc: dict[str, Any]) -> bool:
    return bool({"output_checker", "admin"} & set(actor_doc.get("roles", [])))


def summary(req: AirlockRequest) -> dict[str, Any]:
    return {
        "id": req.id,
        "project_id": req.project_id,
        "title": req.title,
        "author": req.author,
        "status": req.status,
        "round": req.round,
        "files": len(req.files),
        "blocking": sum(1 for f in req.files if f.verdict == "block"),
        "created_at": req.created_at,
        "submitted_at": req.submitted_at,
        "released_at": req.released_at,
    }


def detail(session: Session, req: AirlockRequest, actor: str) -> dict[str, Any]:
    who = actor_document(session, actor)
    staff = _is_staff(who) and actor != req.author
    blind = State(req.status) in BLIND_STATES and "admin" not in who["roles"]
    votes = [
        {"reviewer": v.reviewer, "path": v.path, "vote": v.vote, "round": v.round}
        for v in req.votes
        if not (blind and v.round == req.round and v.reviewer != actor)
        and (staff or State(req.status) not in BLIND_STATES)
    ]
    comments = [
        {
            "author": c.author,
            "visibility": c.visibility,
            "body": c.body,
            "at": c.at,
            "round": c.round,
        }
        for c in req.comments
        if (c.visibility == "public" or staff)
        # A reviewer's comments would give their vote away: blind like the votes.
        and not (blind and c.round == req.round and c.author != actor)
    ]
    groups = []
    for group in req.groups:
        files = [file_summary(f) for f in req.files if f.group_id == group.id]
        groups.append(
            {
                "name": group.name,
                "context": group.context,
                "controls": group.controls,
                "files": files,
            }
        )
    reviewers = sorted({v.reviewer for v in req.votes if v.round == req.round})
    return summary(req) | {
        "groups": groups,
        "votes": votes,
        "reviews_in": len(reviewers),
        "comments": comments,
        "override": {"by": req.override_by, "reason": req.override_reason, "at": req.override_at}
        if req.override_reason
        else None,
        "manifest_sha256": req.manifest_sha256,
        "decided_by": req.decided_by,
    }


def show(settings: Settings, actor: str, request_id: str) -> dict[str, Any]:
    with session_scope(settings) as session:
        req = load(session, request_id)
        doc = facts.policy_input(session, actor, req.project_id, req)
        policy.require(settings, "airlock.view", doc)
        return detail(session, req, actor)


def list_requests(
    settings: Settings, actor: str, project_id: str | None = None, queue: bool = False
) -> list[dict[str, Any]]:
    """Requests `actor` may see; `queue`: those waiting for review or a decision."""
    with session_scope(settings) as session:
        query = select(AirlockRequest).order_by(AirlockRequest.number)
        if project_id:
            query = query.where(AirlockRequest.project_id == project_id)
        if queue:
            query = query.where(
                AirlockRequest.status.in_([State.IN_REVIEW.value, State.REVIEWED.value])
            )
        visible = []
        for req in session.execute(query).scalars():
            doc = facts.policy_input(session, actor, req.project_id, req)
            if policy.decide(settings, "airlock.view", doc).allow:
                visible.append(summary(req))
        return visible


# (name shown, state-table action, policy action, extra input)
_ACTIONS: tuple[tuple[str, str | None, str, dict[str, Any]], ...] = (
    ("edit", None, "airlock.submit", {}),
    ("submit", "submit", "airlock.submit", {}),
    ("withdraw", "withdraw", "airlock.withdraw", {}),
    ("review", None, "airlock.review", {}),
    ("approve", "approve", "airlock.decide", {"decision": "approve"}),
    ("return", "return", "airlock.decide", {"decision": "return"}),
    ("reject", "reject", "airlock.decide", {"decision": "reject"}),
    ("override", None, "airlock.override", {"override": {"reason": "-"}}),
    ("revoke", "revoke", "release.revoke", {}),
    ("download", None, "release.download", {}),
)


def permissions(
    session: Session, settings: Settings, actor: str, req: AirlockRequest
) -> dict[str, list[str]]:
    """For each action, why `actor` may not take it now (an empty list: allowed)."""
    doc = facts.policy_input(session, actor, req.project_id, req)
    doc["release"] = {"status": req.status}
    out: dict[str, list[str]] = {}
    for name, table_action, policy_action, extra in _ACTIONS:
        reasons: list[str] = []
        if table_action is not None:
            try:
                check_transition(req.status, table_action)
            except InvalidTransition as exc:
                reasons.append(exc.message)
        if name == "edit" and req.status not in ("draft", "returned"):
            reasons.append(_("Only draft or returned requests can be edited."))
        if name == "review" and req.status != State.IN_REVIEW:
            reasons.append(_("Only a request in review can be reviewed."))
        if name == "submit" and not req.files:
            reasons.append(_("The request has no files."))
        elif name == "submit" and groups_missing_context(req):
            reasons.append(_("Every group needs its context and controls before submitting."))
        decision = policy.decide(settings, policy_action, {**doc, **extra})
        if not decision.allow:  # the policy's own words; the table's only when it is silent
            reasons = list(decision.reasons) or reasons or [_("No policy rule allows this.")]
        out[name] = reasons
    return out


def _may_download(session: Session, settings: Settings, actor: str, req: AirlockRequest) -> None:
    doc = facts.policy_input(session, actor, req.project_id, req)
    doc["release"] = {"status": req.status}
    policy.require(settings, "release.download", doc)


def _audit_download(
    session: Session, actor: str, req: AirlockRequest, path: str, digest: str, **extra: Any
) -> None:
    audit.record(
        session, actor=actor, action="release.download", object_type="airlock_request",
        object_id=req.id,
        body={"project": req.project_id, "path": path, "sha256": digest, **extra},
    )  # fmt: skip


def download(settings: Settings, actor: str, request_id: str, path: str) -> tuple[Path, str]:
    """The released file to send to `actor`; audited; refused once revoked."""
    with session_scope(settings) as session:
        req = load(session, request_id)
        _may_download(session, settings, actor, req)
        found, digest = release.released_file(settings.airlock_path, req.id, path)
        _audit_download(session, actor, req, path, digest)
        return found, digest


def download_crate(settings: Settings, actor: str, request_id: str) -> tuple[Path, dict[str, Any]]:
    """The release's Five Safes RO-Crate (it holds the released files): who may download a
    release may download it, audited as a release download."""
    with session_scope(settings) as session:
        req = load(session, request_id)
        _may_download(session, settings, actor, req)
        found, info = release.crate_file(settings.airlock_path, req.id)
        _audit_download(session, actor, req, str(info["name"]), str(info["sha256"]), crate=True)
        return found, info


def register(settings: Settings) -> list[dict[str, Any]]:
    """Public: released outputs (names, dates, hashes; never contents), revocations marked."""
    policy.require(settings, "register.view", {})
    with session_scope(settings) as session:
        rows = session.execute(
            select(AirlockRequest, Project)
            .join(Project, Project.id == AirlockRequest.project_id)
            .where(AirlockRequest.status.in_([State.RELEASED.value, State.REVOKED.value]))
            .where(AirlockRequest.released_at.is_not(None))
            .order_by(AirlockRequest.released_at.desc())
        ).all()
        return [
            {
                "request_id": req.id,
                "project_id": project.id,
                "project_title": project.title,
                "title": req.title,
                "released_at": req.released_at,
                "revoked_at": req.revoked_at,
                "status": req.status,
                "manifest_sha256": req.manifest_sha256,
                "files": [{"path": f.path, "sha256": f.sha256, "size": f.size} for f in req.files],
                "crate": release.crate_info(settings.airlock_path, req.id),
            }
            for req, project in rows
        ]


def list_outputs(settings: Settings, actor: str, project_id: str) -> list[dict[str, Any]]:
    """Files in the project's outputs/ an author may pick (links, specials and provenance
    sidecars marked: none of them can be released)."""
    with session_scope(settings) as session:
        doc = facts.policy_input(session, actor, project_id)
        doc["request"] = {"status": "draft", "author": actor, "votes": []}
        decision = policy.decide(settings, "airlock.submit", doc)
        if not decision.allow:
            raise PolicyDenied("airlock.submit", decision.reasons)
    root = outputs_dir(settings, project_id)
    found: list[dict[str, Any]] = []
    if not root.is_dir():
        return found
    for dirpath, dirnames, filenames in os.walk(root):  # never follows links
        links = [d for d in dirnames if (Path(dirpath) / d).is_symlink()]
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in links)
        for name in sorted(filenames + links):
            path = Path(dirpath) / name
            st = path.lstat()
            rel = path.relative_to(root).as_posix()
            kind = (
                "link"
                if stat.S_ISLNK(st.st_mode)
                else "special"
                if not stat.S_ISREG(st.st_mode)
                else "sidecar"
                if filetypes.is_sidecar_name(name)
                else "file"
            )
            found.append({"path": rel, "size": st.st_size, "kind": kind})
            if len(found) >= 1000:
                return found
    return found


def file_for_view(settings: Settings, actor: str, request_id: str, path: str) -> dict[str, Any]:
    """One request file for a viewer allowed to see the request: its summary and store path."""
    from tre.airlock.transitions import content_store

    with session_scope(settings) as session:
        req = load(session, request_id)
        doc = facts.policy_input(session, actor, req.project_id, req)
        policy.require(settings, "airlock.view", doc)
        row = next((f for f in req.files if f.path == path), None)
        if row is None:
            raise NotFound(_("The request has no file {path}.").format(path=path))
        return file_summary(row) | {
            "store_path": content_store(settings).path(row.sha256),
            "report": row.report,
        }


def earlier_releases(settings: Settings, actor: str, request_id: str) -> list[dict[str, Any]]:
    """The same project's other releases, for a checker to compare against."""
    with session_scope(settings) as session:
        req = load(session, request_id)
        doc = facts.policy_input(session, actor, req.project_id, req)
        policy.require(settings, "airlock.view", doc)
        others = session.execute(
            select(AirlockRequest)
            .where(AirlockRequest.project_id == req.project_id, AirlockRequest.id != req.id)
            .where(AirlockRequest.status.in_([State.RELEASED.value, State.REVOKED.value]))
            .order_by(AirlockRequest.number)
        ).scalars()
        return [
            summary(o) | {"paths": [f.path for f in o.files], "revoked_at": o.revoked_at}
            for o in others
        ]


def request_with_permissions(
    settings: Settings, actor: str, request_id: str
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    with session_scope(settings) as session:
        req = load(session, request_id)
        doc = facts.policy_input(session, actor, req.project_id, req)
        policy.require(settings, "airlock.view", doc)
        crate = release.crate_info(settings.airlock_path, req.id) if req.released_at else None
        found = detail(session, req, actor) | {"crate": crate}
        return found, permissions(session, settings, actor, req)
