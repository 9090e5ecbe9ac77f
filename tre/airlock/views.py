"""Reading release requests: what each person may see, and why an action is not open to them.

Votes are blind: while a round's reviews are still coming in, a reviewer sees only their
own votes. Private comments are for checkers and admins, never for the author.
`permissions` answers, for each action, the reasons it is refused (empty when allowed),
from the state table and the policy, so the portal can show them beside disabled buttons.

The bytes of a request's files leave only through `read_file`, which every page and command
that shows or sends them calls: the policy (`airlock.read_file`) decides by the request's
state and the reader's role, and each read is audited. Everything else here returns names,
sizes, hashes and findings, never content.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tre import audit, policy, projects
from tre.airlock import caveats, checks, facts, filetypes, history, release, reviews
from tre.airlock.checks import outputs_dir
from tre.airlock.drafts import file_summary, groups_missing_context
from tre.airlock.states import EDITABLE, State, check_transition
from tre.airlock.transitions import content_store, load
from tre.config import Settings
from tre.db import Project, session_scope
from tre.db.airlock_models import AirlockRequest, Comment, FileVersion, RequestFile
from tre.errors import InvalidTransition, NotFound, PolicyDenied
from tre.i18n import _
from tre.users import actor_document

CRATE = "(the release's RO-Crate)"  # what the policy is told the crate's path is


def _is_staff(actor_doc: dict[str, Any]) -> bool:
    return bool({"output_checker", "admin"} & set(actor_doc.get("roles", [])))


def _provenance(req: AirlockRequest) -> dict[str, int]:
    """How many of the request's tables were verified on the extract, differ, or could not
    be (no provenance record, or it could not be re-run)."""
    counts = {"verified": 0, "differs": 0, "unverified": 0}
    for f in req.files:
        status = (f.report or {}).get("provenance")
        if status in counts:
            counts[status] += 1
        elif f.detected_type in ("csv", "tsv"):
            counts["unverified"] += 1
    return counts


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
        "provenance": _provenance(req),
        "created_at": req.created_at,
        "submitted_at": req.submitted_at,
        "released_at": req.released_at,
    }


def _comment_visible(c: Comment, req: AirlockRequest, actor: str, staff: bool, blind: bool) -> bool:
    """Private comments are for checkers and admins. While reviews are blind, what others
    wrote in this round after it was submitted stays hidden: a reviewer's comment, or the
    author's answer to one, would give a vote away."""
    if c.visibility != "public" and not staff:
        return False
    after_submit = req.submitted_at is None or c.at is None or c.at >= req.submitted_at
    return not (blind and c.round == req.round and c.author != actor and after_submit)


def previous_round(req: AirlockRequest) -> int:
    """The round the current files are compared with: the one returned, while the author
    mends it; the one before, once it is submitted again (0: none)."""
    return req.round if req.status == State.RETURNED else req.round - 1


def _previous_versions(req: AirlockRequest) -> dict[str, FileVersion]:
    """Each path's version in the round the current files are compared with."""
    base = previous_round(req)
    return {v.path: v for v in req.versions if v.round == base}


def detail(session: Session, settings: Settings, req: AirlockRequest, actor: str) -> dict[str, Any]:
    """The request as `actor` may see it. Everything about the current round's reviews is
    computed from `reviews.visible_votes`, so a blind reader sees the same page whatever the
    other reviewers have done."""
    who = actor_document(session, actor)
    staff = _is_staff(who) and actor != req.author
    blind = reviews.is_blind(req, who["roles"])
    seen = reviews.visible_votes(req, actor, blind)
    project = projects.get_project(session, req.project_id)
    required = policy.required_approvals(settings, project.tier)
    file_reviews = reviews.file_reviews(req, seen, required)
    votes = [
        {"reviewer": v.reviewer, "path": v.path, "vote": v.vote, "round": v.round}
        for v in seen
        if staff or not blind
    ]
    comments = [
        {
            "author": c.author,
            "visibility": c.visibility,
            "body": c.body,
            "at": c.at,
            "round": c.round,
            "path": c.path,
        }
        for c in req.comments
        if _comment_visible(c, req, actor, staff, blind)
    ]
    previous = _previous_versions(req)
    groups = []
    for group in req.groups:
        files = []
        for f in req.files:
            if f.group_id != group.id:
                continue
            before = previous.get(f.path)
            files.append(
                file_summary(f)
                | {
                    "provenance": (f.report or {}).get("provenance"),
                    "review": file_reviews.get(f.path),
                    "my_vote": next(
                        (v.vote for v in seen
                         if (v.round, v.reviewer, v.path) == (req.round, actor, f.path)),
                        None,
                    ),
                    "change": None if not previous
                    else "new" if before is None
                    else "unchanged" if before.sha256 == f.sha256 else "replaced",
                }
            )  # fmt: skip
        groups.append(
            {
                "name": group.name,
                "context": group.context,
                "controls": group.controls,
                "files": files,
            }
        )
    removed = sorted(set(previous) - {f.path for f in req.files})
    reviewers = sorted({v.reviewer for v in seen if v.round == req.round})
    return summary(req) | {
        "groups": groups,
        "votes": votes,
        "blind": blind,
        "required": required,
        "reviews_in": None if blind else len(reviewers),
        "removed_since": removed,
        "previous_round": previous_round(req) if previous else None,
        "comments": comments,
        "override": {"by": req.override_by, "reason": req.override_reason, "at": req.override_at}
        if req.override_reason
        else None,
        "manifest_sha256": req.manifest_sha256,
        "decided_by": req.decided_by,
        "history": history.history(session, req, actor, blind),
    }


def show(settings: Settings, actor: str, request_id: str) -> dict[str, Any]:
    with session_scope(settings) as session:
        req = load(session, request_id)
        doc = facts.policy_input(session, settings, actor, req.project_id, req)
        policy.require(settings, "airlock.view", doc)
        return detail(session, settings, req, actor)


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
            doc = facts.policy_input(session, settings, actor, req.project_id, req)
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
    ("comment", None, "airlock.comment", {"comment": {"visibility": "public"}}),
    ("comment_private", None, "airlock.comment", {"comment": {"visibility": "private"}}),
    ("resolve", None, "airlock.resolve", {}),
)


def permissions(
    session: Session, settings: Settings, actor: str, req: AirlockRequest
) -> dict[str, list[str]]:
    """For each action, why `actor` may not take it now (an empty list: allowed).

    The policy is asked about the request as `actor` may see it: a blind reviewer's
    buttons and reasons cannot depend on anyone else's votes."""
    blind = reviews.is_blind(req, actor_document(session, actor)["roles"])
    seen = reviews.visible_votes(req, actor, blind)
    doc = facts.policy_input(session, settings, actor, req.project_id, req, seen)
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
        if name == "review" and req.status not in (State.IN_REVIEW, State.CONFLICTED):
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


@dataclass(frozen=True)
class FileContent:
    """Where one request file's bytes are, for a reader the policy allowed."""

    summary: dict[str, Any]  # file_summary, with the check report
    location: Path  # the content store while under review; the release area once released
    sha256: str
    released: bool


def _file_decision(
    session: Session, settings: Settings, actor: str, req: AirlockRequest, path: str
) -> policy.Decision:
    file = facts.file_document(_file_row(req, path), path)
    return _read_decision(session, settings, actor, req, file)


def _read_decision(
    session: Session,
    settings: Settings,
    actor: str,
    req: AirlockRequest,
    file: dict[str, Any],
    reviewing: AirlockRequest | None = None,
) -> policy.Decision:
    """The policy's `airlock.read_file` for `actor` on `file` of `req`: the one decision
    behind every page and command that hands out a request file's bytes. `reviewing`: the
    request under review beside which a release of the same project is read."""
    doc = facts.policy_input(session, settings, actor, req.project_id, req)
    doc["file"] = file
    if reviewing is not None:
        doc["reviewing"] = {
            "id": reviewing.id,
            "project": reviewing.project_id,
            "author": reviewing.author,
            "status": reviewing.status,
        }
    return policy.decide(settings, "airlock.read_file", doc)


def _file_row(req: AirlockRequest, path: str) -> RequestFile | None:
    return next((f for f in req.files if f.path == path), None)


def read_file(
    settings: Settings, actor: str, request_id: str, path: str, *, released_only: bool = False
) -> FileContent:
    """One request file's bytes for `actor`, if the policy lets them have them; audited.

    Under review they come from the content store (output checkers only); once released,
    from the release area (the project's lead and analysts only). `released_only` is for
    downloads: a request not yet released has nothing to download.
    """
    with session_scope(settings) as session:
        req = load(session, request_id)
        decision = _file_decision(session, settings, actor, req, path)
        if not decision.allow:
            raise PolicyDenied("airlock.read_file", decision.reasons)
        row = _file_row(req, path)
        if row is None:
            raise NotFound(_("The request has no file {path}.").format(path=path))
        released = req.status == State.RELEASED
        if released_only and not released:
            raise NotFound(_("This request has no release."))
        if released:
            location, digest = release.released_file(settings.airlock_path, req.id, path)
        else:
            location, digest = content_store(settings).path(row.sha256), row.sha256
        audit.record(
            session, actor=actor, action="release.download" if released else "airlock.read_file",
            object_type="airlock_request", object_id=req.id,
            body={"project": req.project_id, "path": path, "sha256": digest},
        )  # fmt: skip
        summary = file_summary(row) | {"report": row.report, "compared_round": previous_round(req)}
        return FileContent(summary, location, digest, released)


def _audit_read(
    session: Session, actor: str, req: AirlockRequest, path: str, digest: str, **extra: Any
) -> None:
    audit.record(
        session, actor=actor, action="airlock.read_file", object_type="airlock_request",
        object_id=req.id, body={"project": req.project_id, "path": path, "sha256": digest, **extra},
    )  # fmt: skip


def read_version(
    settings: Settings, actor: str, request_id: str, path: str, round_: int
) -> FileContent:
    """A file as it was submitted in an earlier round, for the reviewers comparing it with
    the current one: the decision is the file's own (`airlock.read_file` on this path of
    this request), told that the earlier version is person-level if it was; audited."""
    with session_scope(settings) as session:
        req = load(session, request_id)
        version = next((v for v in req.versions if (v.round, v.path) == (round_, path)), None)
        row = _file_row(req, path)
        file = facts.file_document(row, path)
        if version is not None and version.person_level:
            file["person_level"] = True
        decision = _read_decision(session, settings, actor, req, file)
        if not decision.allow:
            raise PolicyDenied("airlock.read_file", decision.reasons)
        if version is None or row is None or round_ > previous_round(req):
            raise NotFound(
                _("The request has no earlier version of {path} in round {round}.").format(
                    path=path, round=round_
                )
            )
        _audit_read(session, actor, req, path, version.sha256, round=round_)
        summary = {
            "path": path, "sha256": version.sha256, "size": version.size,
            "detected_type": version.detected_type, "verdict": version.verdict,
            "round": round_,
        }  # fmt: skip
        return FileContent(summary, content_store(settings).path(version.sha256), version.sha256,
                           False)  # fmt: skip


def tabulation(settings: Settings, content: FileContent) -> dict[str, Any] | None:
    """For a file already handed out by `read_file`, how its provenance sidecar says it was
    made: {kind, parameters, contributors (per cell, by the tabulation's columns)}; None
    without a sidecar. The sidecar holds counts of contributors, never a record value."""
    digest = ((content.summary.get("report") or {}).get("sidecar") or {}).get("sha256")
    if not isinstance(digest, str):
        return None
    document = checks.sidecar_document(content_store(settings), digest)
    parameters = document.get("parameters")
    contributors = document.get("contributors")
    return {
        "kind": document.get("kind"),
        "parameters": parameters if isinstance(parameters, dict) else {},
        "contributors": contributors if isinstance(contributors, dict) else {},
    }


def disclosure_threshold(settings: Settings, request_id: str) -> int:
    """The smallest count the request's tier allows, for summaries beside its files."""
    with session_scope(settings) as session:
        req = load(session, request_id)
        project = projects.get_project(session, req.project_id)
        return facts.tier_limits(settings, project.tier)[0].threshold


MAX_COMPARED = 3


def comparable_releases(
    settings: Settings, actor: str, request_id: str, path: str, columns: list[str]
) -> list[FileContent]:
    """The project's released tables with the same name as `path` or the same `columns`,
    newest first (at most MAX_COMPARED), for a reviewer of `request_id` to see beside it;
    each read is the policy's (`airlock.read_file` with the request under review) and
    audited. Tables whose header differs and whose name differs are not read further."""
    found: list[FileContent] = []
    with session_scope(settings) as session:
        req = load(session, request_id)
        earlier = session.execute(
            select(AirlockRequest)
            .where(AirlockRequest.project_id == req.project_id, AirlockRequest.id != req.id)
            .where(AirlockRequest.status == State.RELEASED.value)
            .order_by(AirlockRequest.number.desc())
        ).scalars()
        name = Path(path).name
        for other in earlier:
            for row in other.files:
                if row.detected_type not in ("csv", "tsv") or len(found) >= MAX_COMPARED:
                    continue
                file = facts.file_document(row, row.path)
                if not _read_decision(session, settings, actor, other, file, req).allow:
                    continue
                location, digest = release.released_file(settings.airlock_path, other.id, row.path)
                same_name = Path(row.path).name == name
                if not same_name and filetypes.header(location, row.detected_type) != columns:
                    continue
                _audit_read(session, actor, other, row.path, digest, for_review=req.id)
                summary = file_summary(row) | {
                    "request_id": other.id,
                    "title": other.title,
                    "released_at": other.released_at,
                    "same_name": same_name,
                }
                found.append(FileContent(summary, location, digest, True))
    return found


def file_reads(
    session: Session, settings: Settings, actor: str, req: AirlockRequest
) -> dict[str, list[str]]:
    """For each file of `req`, why `actor` may not read its content (empty: they may)."""
    return {
        f.path: list(_file_decision(session, settings, actor, req, f.path).reasons)
        for f in req.files
    }


def _every_file(req: AirlockRequest) -> dict[str, Any]:
    """The crate as the policy sees it: every file of the request at once."""
    person_level = any(facts.file_document(f, f.path)["person_level"] for f in req.files)
    return {"path": CRATE, "person_level": person_level}


def download_crate(settings: Settings, actor: str, request_id: str) -> tuple[Path, dict[str, Any]]:
    """The release's Five Safes RO-Crate, a ZIP holding every released file: for those who
    may read the release's files (`airlock.read_file`, asked for all of them at once);
    audited as a release download."""
    with session_scope(settings) as session:
        req = load(session, request_id)
        decision = _read_decision(session, settings, actor, req, _every_file(req))
        if not decision.allow:
            raise PolicyDenied("airlock.read_file", decision.reasons)
        if req.status != State.RELEASED:
            raise NotFound(_("This request has no release."))
        found, info = release.crate_file(settings.airlock_path, req.id)
        audit.record(
            session, actor=actor, action="release.download", object_type="airlock_request",
            object_id=req.id,
            body={"project": req.project_id, "path": str(info["name"]),
                  "sha256": str(info["sha256"]), "crate": True},
        )  # fmt: skip
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
        doc = facts.policy_input(session, settings, actor, project_id)
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


def earlier_releases(settings: Settings, actor: str, request_id: str) -> list[dict[str, Any]]:
    """The same project's other releases, for a checker to compare against."""
    with session_scope(settings) as session:
        req = load(session, request_id)
        doc = facts.policy_input(session, settings, actor, req.project_id, req)
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
) -> tuple[dict[str, Any], dict[str, list[str]], dict[str, list[str]]]:
    """The request as `actor` may see it, why each action is closed to them, and why each
    file's content is."""
    with session_scope(settings) as session:
        req = load(session, request_id)
        doc = facts.policy_input(session, settings, actor, req.project_id, req)
        policy.require(settings, "airlock.view", doc)
        crate = release.crate_info(settings.airlock_path, req.id) if req.released_at else None
        perms = permissions(session, settings, actor, req)
        perms["download"] = list(
            _read_decision(session, settings, actor, req, _every_file(req)).reasons
        )
        shown = detail(session, settings, req, actor) | {"crate": crate}
        if actor == req.author and State(req.status) in EDITABLE:
            shown["caveats"] = caveats.caveats(session, req)
        return shown, perms, file_reads(session, settings, actor, req)
