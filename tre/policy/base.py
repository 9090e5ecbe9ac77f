"""The policy engine contract.

A `PolicyEngine` answers one question: given a decision `query` (a Rego package path such
as ``tre.authz``) and an `input` document, may this happen, and if not, why? It evaluates
``data.<query>.decision``, which every decision package defines as
``{"allow": bool, "reasons": [str, ...]}``.

Implementations must:

- load policies and data once (at construction or first use), never per decision;
- be safe to call from many threads at once (the portal serves concurrent requests);
- fail closed: an undefined decision, a malformed answer or an unreachable engine is a
  denial (`Decision.allow` False with a reason) or a raised `PolicyUnavailable`, never
  an allow;
- keep `decide` free of side effects, so repeating a call is always safe.

`EmbeddedRego` (in-process, the default) and `OpaServer` (an OPA server's Data API) are
the two implementations; `tre.policy.engine(settings)` picks one from `settings.policy_engine`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tre.errors import UserError
from tre.i18n import _

DECISION_RULE = "decision"


class PolicyUnavailable(UserError):
    """The policy engine could not be asked (not loaded, unreachable, or answered badly)."""

    exit_code = 3


@dataclass(frozen=True)
class Decision:
    """A policy decision: `allow`, and the policy's `reasons` when it denies."""

    allow: bool
    reasons: list[str] = field(default_factory=list)

    @classmethod
    def from_document(cls, document: Any) -> Decision:
        """Build from a `decision` document; anything malformed is a denial."""
        if not isinstance(document, dict) or not isinstance(document.get("allow"), bool):
            return cls(False, [_("the policy gave no decision for this input")])
        reasons = document.get("reasons") or []
        if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
            return cls(False, [_("the policy gave malformed reasons")])
        allow = document["allow"] and not reasons
        return cls(allow, list(reasons))


class PolicyEngine:
    """Base class: subclasses implement `_evaluate`; `decide` is the public entry point."""

    def decide(self, query: str, input: dict[str, Any]) -> Decision:
        """Evaluate ``data.<query>.decision`` for `input`; see the module docstring."""
        return Decision.from_document(self._evaluate(query.replace("/", "."), input))

    def _evaluate(self, package: str, input: dict[str, Any]) -> Any:
        """Return the value of ``data.<package>.decision``, or None when undefined."""
        raise NotImplementedError

    def close(self) -> None:
        """Release resources (connections). Safe to call more than once."""
