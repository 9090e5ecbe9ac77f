"""Where each file of a round stands with its reviewers, and what a reader may know of it.

A file's review (`states.FileReview`) follows from the round's votes on it: pending until
`required` reviewers have voted; then approved or changes requested when they agree, and
conflicted when they do not. A conflict is settled by a further independent reviewer whose
vote makes a strict majority, or by a reviewer changing their vote with a note recorded on
the file. The request's state follows from its files' (`request_step`).

Reviews are blind while they come in (`states.BLIND`): a reviewer sees their own votes and
nothing else of the round, not even how many reviews are in. `visible_votes` is the one
place that decides what of a round a reader may know; the request page, the policy input
behind its buttons and the history are all built from what it returns, so nothing a second
reviewer sees before voting can depend on the first review.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from tre.airlock.states import BLIND, FileReview, State
from tre.db.airlock_models import AirlockRequest, FileVote

APPROVE = "approve"
CHANGES = "changes_requested"
VOTES = (APPROVE, CHANGES)


def outcome(votes: Sequence[str], required: int) -> FileReview:
    """A file's review from its round's votes (in the order cast) and the approvals the
    tier requires."""
    if len(votes) < required:
        return FileReview.PENDING
    first = votes[:required]
    if len(set(first)) == 1:  # the required reviewers agree
        return FileReview.APPROVED if first[0] == APPROVE else FileReview.CHANGES_REQUESTED
    approvals = sum(1 for v in votes if v == APPROVE)
    changes = len(votes) - approvals
    if len(votes) > required and approvals != changes:  # a further reviewer broke the tie
        return FileReview.APPROVED if approvals > changes else FileReview.CHANGES_REQUESTED
    return FileReview.CONFLICTED


def is_blind(req: AirlockRequest, roles: Iterable[str]) -> bool:
    """Whether a reader with `roles` sees the current round's reviews only as their own.

    Everyone is, while reviews come in, except an admin who is not also an output checker
    (admins do not review; a checker who is an admin could)."""
    roles = set(roles)
    overseer = "admin" in roles and "output_checker" not in roles
    return State(req.status) in BLIND and not overseer


def visible_votes(req: AirlockRequest, reader: str, blind: bool) -> list[FileVote]:
    """The votes `reader` may know of: every round's, except, while blind, the current
    round's votes of anyone else."""
    return [v for v in req.votes if not (blind and v.round == req.round and v.reviewer != reader)]


def file_reviews(
    req: AirlockRequest, votes: Iterable[FileVote], required: int
) -> dict[str, dict[str, Any]]:
    """For each file of the current round: its review, its voters and the approving ones,
    computed from `votes` (all of them, or what a reader may see)."""
    by_path: dict[str, list[FileVote]] = {f.path: [] for f in req.files}
    for v in sorted(votes, key=lambda v: (v.at, v.id or 0)):
        if v.round == req.round and v.path in by_path:
            by_path[v.path].append(v)
    return {
        path: {
            "path": path,
            "outcome": outcome([v.vote for v in cast], required).value,
            "voters": [v.reviewer for v in cast],
            "approved_by": [v.reviewer for v in cast if v.vote == APPROVE],
        }
        for path, cast in by_path.items()
    }


def request_step(reviews: dict[str, dict[str, Any]]) -> str | None:
    """The system's move once a vote is in: `reviews_disagree` when any file is conflicted
    and none is pending, `reviews_complete` when every file has an outcome, else None."""
    outcomes = {r["outcome"] for r in reviews.values()}
    if not outcomes or FileReview.PENDING.value in outcomes:
        return None
    if FileReview.CONFLICTED.value in outcomes:
        return "reviews_disagree"
    return "reviews_complete"


__all__ = [
    "APPROVE",
    "CHANGES",
    "VOTES",
    "file_reviews",
    "is_blind",
    "outcome",
    "request_step",
    "visible_votes",
]
