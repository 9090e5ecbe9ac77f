"""Recording reviews: votes, the vote that settles a conflict, a vote changed after a
discussion, and comments on a request or one of its files.

Each is one transaction: the policy first (`airlock.review`, `airlock.resolve`,
`airlock.comment`), then the record and its audit event, then the system's move when the
round's files all have an outcome (`reviews.request_step`): `reviews_complete` to reviewed,
`reviews_disagree` to conflicted, and `conflicts_resolved` once a conflict is settled.
Audit bodies name files and votes, never a comment's text.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tre import policy
from tre.airlock import facts, reviews
from tre.airlock.reviews import VOTES
from tre.airlock.states import FileReview, State, check_transition
from tre.airlock.transitions import audit_event, load, move, now
from tre.config import Settings
from tre.db import session_scope
from tre.db.airlock_models import AirlockRequest, Comment, FileVote
from tre.errors import InputError, NotFound
from tre.i18n import _


def _required(settings: Settings, session: Session, req: AirlockRequest) -> int:
    from tre.db import Project

    project = session.get(Project, req.project_id)
    return policy.required_approvals(settings, project.tier if project else None)


def _file_reviews(
    settings: Settings, session: Session, req: AirlockRequest
) -> dict[str, dict[str, Any]]:
    session.flush()
    session.refresh(req, ["votes"])
    return reviews.file_reviews(req, req.votes, _required(settings, session, req))


def _advance(settings: Settings, session: Session, req: AirlockRequest) -> None:
    """The system's move once the round's files all have an outcome."""
    step = reviews.request_step(_file_reviews(settings, session, req))
    if step is None:
        return
    if req.status == State.CONFLICTED:
        if step == "reviews_complete":
            move(session, settings, req, "system", "conflicts_resolved", None)
        return
    move(session, settings, req, "system", step, None)


def review(
    settings: Settings,
    actor: str,
    request_id: str,
    votes: dict[str, str],
    comment: str = "",
    private_comment: str = "",
) -> dict[str, Any]:
    """One reviewer's votes: on every file of the round while reviews come in; once they
    disagree, a further reviewer's on each conflicted file."""
    with session_scope(settings) as session:
        req = load(session, request_id)
        doc = facts.policy_input(session, settings, actor, req.project_id, req)
        policy.require(settings, "airlock.review", doc)
        if req.status not in (State.IN_REVIEW, State.CONFLICTED):
            check_transition(req.status, "reviews_complete")  # raises with the reason
        if req.status == State.CONFLICTED:
            wanted = {
                path
                for path, r in _file_reviews(settings, session, req).items()
                if r["outcome"] == FileReview.CONFLICTED
            }
            if set(votes) != wanted:
                raise InputError(
                    _("Once reviews disagree, a further review votes on each file in conflict "
                      "({n} files) and on no other.").format(n=len(wanted)),
                    hint=_("Vote approve or changes_requested on each file marked in conflict."),
                )  # fmt: skip
        elif set(votes) != {f.path for f in req.files}:
            raise InputError(
                _("A review needs a vote on every file of the request ({n} files).").format(
                    n=len(req.files)
                ),
                hint=_("Vote approve or changes_requested on each file."),
            )
        if any(v not in VOTES for v in votes.values()):
            raise InputError(_("Votes are approve or changes_requested."))
        for path, vote in sorted(votes.items()):
            session.add(
                FileVote(request=req, round=req.round, reviewer=actor, path=path, vote=vote)
            )
        add_comments(session, req, actor, comment, private_comment)
        changes = sum(1 for v in votes.values() if v != reviews.APPROVE)
        audit_event(
            session, actor, "review", req, round=req.round, files=len(votes),
            changes_requested=changes, tie_break=req.status == State.CONFLICTED,
        )  # fmt: skip
        _advance(settings, session, req)
        return {"id": req.id, "status": req.status}


def resolve(
    settings: Settings, actor: str, request_id: str, path: str, vote: str, note: str
) -> dict[str, Any]:
    """A reviewer changes their vote on a file in conflict, after discussing it: the note
    is recorded on the file for the other checkers, and the change is audited."""
    if vote not in VOTES:
        raise InputError(_("Votes are approve or changes_requested."))
    if not note.strip():
        raise InputError(
            _("Changing a vote needs a note of the discussion that led to it."),
            hint=_("Say what was discussed and why the vote changes."),
        )
    with session_scope(settings) as session:
        req = load(session, request_id)
        doc = facts.policy_input(session, settings, actor, req.project_id, req)
        policy.require(settings, "airlock.resolve", doc)
        mine = next(
            (v for v in req.votes if (v.round, v.reviewer, v.path) == (req.round, actor, path)),
            None,
        )
        review_of = _file_reviews(settings, session, req).get(path)
        if mine is None or review_of is None:
            raise NotFound(
                _("You have no vote on {path} in this round to change.").format(path=path)
            )
        if review_of["outcome"] != FileReview.CONFLICTED:
            raise InputError(
                _("Only a vote on a file whose reviews disagree can be changed."),
                hint=_("The file's reviews agree: decide the request."),
            )
        before, mine.vote = mine.vote, vote
        session.add(
            Comment(
                request=req, round=req.round, author=actor, visibility="private", path=path,
                body=note.strip(), at=now(),
            )
        )  # fmt: skip
        audit_event(session, actor, "resolve", req, path=path, round=req.round, vote_before=before,
                    vote=vote)  # fmt: skip
        _advance(settings, session, req)
        return {"id": req.id, "status": req.status}


def comment(
    settings: Settings,
    actor: str,
    request_id: str,
    body: str,
    path: str | None = None,
    private: bool = False,
) -> dict[str, Any]:
    """A comment on the request or on one of its files, in the current round."""
    if not body.strip():
        raise InputError(_("The comment is empty."), hint=_("Write the comment, then send it."))
    with session_scope(settings) as session:
        req = load(session, request_id)
        doc = facts.policy_input(session, settings, actor, req.project_id, req)
        doc["comment"] = {"visibility": "private" if private else "public"}
        policy.require(settings, "airlock.comment", doc)
        if path is not None and path not in {f.path for f in req.files}:
            raise NotFound(_("The request has no file {path}.").format(path=path))
        session.add(
            Comment(
                request=req, round=req.round, author=actor, path=path, body=body.strip(),
                visibility="private" if private else "public", at=now(),
            )
        )  # fmt: skip
        audit_event(
            session, actor, "comment", req, round=req.round, path=path,
            visibility="private" if private else "public",
        )  # fmt: skip
        return {"id": req.id, "round": req.round}


def add_comments(
    session: Session, req: AirlockRequest, actor: str, public: str, private: str
) -> None:
    """A review's or a decision's comments on the whole request."""
    for body, visibility in ((public, "public"), (private, "private")):
        if body and body.strip():
            session.add(
                Comment(
                    request=req, round=req.round, author=actor, visibility=visibility,
                    body=body.strip(), at=now(),
                )
            )  # fmt: skip


__all__ = ["add_comments", "comment", "resolve", "review"]
