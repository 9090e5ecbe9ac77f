"""The transition table, check-before-set, and the generated diagram in the docs."""

from __future__ import annotations

import pytest

from tre.airlock import states
from tre.airlock.states import TERMINAL, TRANSITIONS, State, check_transition
from tre.errors import InvalidTransition


def test_every_state_is_reachable_from_draft() -> None:
    seen = {State.DRAFT}
    frontier = [State.DRAFT]
    while frontier:
        src = frontier.pop()
        for t in TRANSITIONS:
            if t.source == src and t.target not in seen:
                seen.add(t.target)
                frontier.append(t.target)
    assert seen == set(State)


def test_terminal_states() -> None:
    assert {State.REJECTED, State.WITHDRAWN, State.REVOKED} == TERMINAL


def test_each_source_action_pair_has_one_target() -> None:
    pairs = [(t.source, t.action) for t in TRANSITIONS]
    assert len(pairs) == len(set(pairs))


@pytest.mark.parametrize(
    ("source", "action", "target"),
    [
        ("draft", "submit", "submitted"),
        ("submitted", "checks_done", "in_review"),
        ("in_review", "reviews_complete", "reviewed"),
        ("reviewed", "approve", "approved"),
        ("approved", "release", "released"),
        ("released", "revoke", "revoked"),
        ("returned", "submit", "submitted"),
    ],
)
def test_allowed(source: str, action: str, target: str) -> None:
    assert check_transition(source, action) == State(target)


@pytest.mark.parametrize(
    ("source", "action"),
    [
        ("draft", "approve"),  # nothing is approved before review
        ("in_review", "approve"),  # not before all reviews are in
        ("submitted", "release"),
        ("rejected", "submit"),  # final
        ("withdrawn", "submit"),
        ("revoked", "release"),
        ("released", "withdraw"),  # a release is revoked, not withdrawn
    ],
)
def test_refused_with_reason(source: str, action: str) -> None:
    with pytest.raises(InvalidTransition) as err:
        check_transition(source, action)
    assert source in err.value.message and action in err.value.message
    assert err.value.hint


def test_docs_diagram_is_current() -> None:
    text = states.DOC_PATH.read_text(encoding="utf-8")
    assert states.updated_doc(text) == text, (
        "docs/airlock.md is stale: run `python -m tre.airlock.states`"
    )


def test_docs_generator_replaces_only_its_block() -> None:
    before = f"# T\n\nintro\n\n{states.BEGIN}\nold\n{states.END}\n\nafter\n"
    after = states.updated_doc(before)
    assert after.startswith("# T\n\nintro\n\n") and after.endswith("\n\nafter\n")
    assert "stateDiagram-v2" in after and "old" not in after
