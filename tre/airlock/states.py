"""Release-request states and the transitions between them, as data.

`TRANSITIONS` is the single source of truth: the service calls `check_transition` before
it writes a new state (check before set), the policy sees the action name, and the state
diagram in docs/airlock.md is generated from the same table (`render_mermaid`), so the
docs cannot drift from the code (a test regenerates and compares).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from tre.errors import InvalidTransition
from tre.i18n import _


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    CONFLICTED = "conflicted"
    REVIEWED = "reviewed"
    APPROVED = "approved"
    RELEASED = "released"
    RETURNED = "returned"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    REVOKED = "revoked"


@dataclass(frozen=True)
class Transition:
    """One allowed move: `action` takes a request from `source` to `target`; `who` says
    which role performs it (for the docs and the policy input)."""

    source: State
    target: State
    action: str
    who: str


TRANSITIONS: tuple[Transition, ...] = (
    Transition(State.DRAFT, State.SUBMITTED, "submit", "author"),
    Transition(State.DRAFT, State.WITHDRAWN, "withdraw", "author"),
    Transition(State.SUBMITTED, State.IN_REVIEW, "checks_done", "system"),
    Transition(State.SUBMITTED, State.WITHDRAWN, "withdraw", "author"),
    Transition(State.IN_REVIEW, State.REVIEWED, "reviews_complete", "system"),
    Transition(State.IN_REVIEW, State.CONFLICTED, "reviews_disagree", "system"),
    Transition(State.IN_REVIEW, State.RETURNED, "return", "checker"),
    Transition(State.IN_REVIEW, State.REJECTED, "reject", "checker"),
    Transition(State.IN_REVIEW, State.WITHDRAWN, "withdraw", "author"),
    Transition(State.CONFLICTED, State.REVIEWED, "conflicts_resolved", "system"),
    Transition(State.CONFLICTED, State.RETURNED, "return", "checker"),
    Transition(State.CONFLICTED, State.REJECTED, "reject", "checker"),
    Transition(State.CONFLICTED, State.WITHDRAWN, "withdraw", "author"),
    Transition(State.REVIEWED, State.APPROVED, "approve", "checker"),
    Transition(State.REVIEWED, State.RETURNED, "return", "checker"),
    Transition(State.REVIEWED, State.REJECTED, "reject", "checker"),
    Transition(State.REVIEWED, State.WITHDRAWN, "withdraw", "author"),
    Transition(State.RETURNED, State.SUBMITTED, "submit", "author"),
    Transition(State.RETURNED, State.WITHDRAWN, "withdraw", "author"),
    Transition(State.APPROVED, State.RELEASED, "release", "checker"),
    Transition(State.APPROVED, State.REVOKED, "revoke", "admin"),
    Transition(State.RELEASED, State.REVOKED, "revoke", "admin"),
)

#: States in which the author may still change files and groups.
EDITABLE: frozenset[State] = frozenset({State.DRAFT, State.RETURNED})
#: States in which output checkers review: votes are cast, files are read for review.
UNDER_REVIEW: frozenset[State] = frozenset(
    {State.SUBMITTED, State.IN_REVIEW, State.CONFLICTED, State.REVIEWED}
)
#: States in which reviews are still coming in: each reviewer sees only their own.
BLIND: frozenset[State] = frozenset({State.SUBMITTED, State.IN_REVIEW})
#: States from which nothing moves on.
TERMINAL: frozenset[State] = frozenset(
    s for s in State if not any(t.source == s for t in TRANSITIONS)
)


class FileReview(StrEnum):
    """Where one file of a round stands with its reviewers (derived from their votes by
    `tre.airlock.reviews.outcome`; the request's state follows from its files')."""

    PENDING = "pending"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    CONFLICTED = "conflicted"


@dataclass(frozen=True)
class FileTransition:
    """How a file's review moves when a vote comes in (`event`), as the docs show it."""

    source: FileReview
    target: FileReview
    event: str


FILE_TRANSITIONS: tuple[FileTransition, ...] = (
    FileTransition(FileReview.PENDING, FileReview.PENDING, "vote"),
    FileTransition(FileReview.PENDING, FileReview.APPROVED, "votes_agree"),
    FileTransition(FileReview.PENDING, FileReview.CHANGES_REQUESTED, "votes_agree"),
    FileTransition(FileReview.PENDING, FileReview.CONFLICTED, "votes_disagree"),
    # A further independent reviewer's vote that makes a majority, or a reviewer changing
    # their vote with a note recorded on the file (the discussion).
    FileTransition(FileReview.CONFLICTED, FileReview.APPROVED, "tie_break"),
    FileTransition(FileReview.CONFLICTED, FileReview.CHANGES_REQUESTED, "tie_break"),
    FileTransition(FileReview.CONFLICTED, FileReview.CONFLICTED, "vote"),
)


def targets(source: State, action: str) -> list[State]:
    return [t.target for t in TRANSITIONS if t.source == source and t.action == action]


def allowed_actions(source: State) -> list[str]:
    """Actions that the table allows from `source` (policy may still refuse them)."""
    seen: list[str] = []
    for t in TRANSITIONS:
        if t.source == source and t.action not in seen:
            seen.append(t.action)
    return seen


def check_transition(source: State | str, action: str) -> State:
    """Return the state that `action` leads to from `source`, or raise InvalidTransition.

    Call this before writing anything, so a refused move changes nothing.
    """
    state = State(source)
    found = targets(state, action)
    if not found:
        raise InvalidTransition(
            _("A request in state '{state}' cannot be moved by '{action}'.").format(
                state=state.value, action=action
            ),
            hint=_("Allowed from this state: {allowed}.").format(
                allowed=", ".join(allowed_actions(state)) or _("nothing (final state)")
            ),
        )
    return found[0]


# --- the diagram in the docs ------------------------------------------------------------

DOC_PATH = Path(__file__).resolve().parent.parent.parent / "docs" / "airlock.md"
BEGIN = "<!-- BEGIN generated: tre.airlock.states -->"
END = "<!-- END generated: tre.airlock.states -->"


def render_mermaid() -> str:
    """The state diagram (Mermaid) and a table of transitions, from TRANSITIONS."""
    lines = ["```mermaid", "stateDiagram-v2", f"    [*] --> {State.DRAFT.value}"]
    for t in TRANSITIONS:
        lines.append(f"    {t.source.value} --> {t.target.value}: {t.action} ({t.who})")
    for s in State:
        if s in TERMINAL:
            lines.append(f"    {s.value} --> [*]")
    lines += ["```", "", "| from | action | to | by |", "|---|---|---|---|"]
    for t in TRANSITIONS:
        lines.append(f"| {t.source.value} | `{t.action}` | {t.target.value} | {t.who} |")
    lines += ["", "Each file of a round, as its reviewers' votes come in:", ""]
    lines += ["```mermaid", "stateDiagram-v2", f"    [*] --> {FileReview.PENDING.value}"]
    for f in FILE_TRANSITIONS:
        if f.source != f.target:
            lines.append(f"    {f.source.value} --> {f.target.value}: {f.event}")
    lines.append("```")
    return "\n".join(lines)


def updated_doc(text: str) -> str:
    """`text` with the generated block between the markers replaced by a fresh render."""
    block = f"{BEGIN}\n{render_mermaid()}\n{END}"
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        return text.rstrip("\n") + "\n\n" + block + "\n"
    return pattern.sub(lambda _m: block, text)


def write_doc(path: Path = DOC_PATH) -> bool:
    """Regenerate the diagram in `path`; return True when the file changed."""
    old = path.read_text(encoding="utf-8") if path.exists() else "# Airlock\n"
    new = updated_doc(old)
    if new != old:
        path.write_text(new, encoding="utf-8")
    return new != old


if __name__ == "__main__":  # python -m tre.airlock.states
    changed = write_doc()
    sys.stdout.write(f"{DOC_PATH}: {'updated' if changed else 'up to date'}\n")
