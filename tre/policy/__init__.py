"""Policy decisions: who may do what, with the policy's reasons.

- `engine(settings)` the configured `PolicyEngine` (loaded once per process and settings).
- `decide(settings, action, input)` the `Decision` for one action (``data.tre.authz``).
- `require(settings, action, input)` raises `PolicyDenied(action, reasons)` when denied.
- `sdc_parameters(settings, tier)` disclosure-check parameters for a sensitivity tier.

`decide` and `require` complete the input with `action`, `today` (UTC date, ISO) and
`settings.separation_of_duties` unless the caller gave them. The input shape is documented
in docs/governance.md.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tre.config import Settings
from tre.errors import PolicyDenied
from tre.i18n import _
from tre.policy.base import Decision, PolicyEngine, PolicyUnavailable

__all__ = [
    "AUTHZ",
    "Decision",
    "PolicyEngine",
    "PolicyUnavailable",
    "decide",
    "engine",
    "require",
    "required_approvals",
    "sdc_parameters",
    "tiers",
]

AUTHZ = "tre.authz"

_engines: dict[tuple[str, str], PolicyEngine] = {}
_engines_lock = threading.Lock()


def engine(settings: Settings) -> PolicyEngine:
    """The engine chosen by `settings.policy_engine`, created once and then reused."""
    if settings.policy_engine == "opa":
        key = ("opa", settings.opa_url)
    else:
        key = ("embedded", str(settings.policies_path))
    with _engines_lock:
        found = _engines.get(key)
        if found is None:
            if key[0] == "opa":
                from tre.policy.opa import OpaServer

                found = OpaServer(settings.opa_url)
            else:
                from tre.policy.embedded import EmbeddedRego

                found = EmbeddedRego(settings.policies_path)
            _engines[key] = found
    return found


def complete_input(settings: Settings, action: str, input: dict[str, Any]) -> dict[str, Any]:
    """`input` with action, today and the settings the policies read filled in."""
    document = dict(input)
    document["action"] = action
    document.setdefault("today", datetime.now(UTC).date().isoformat())
    document.setdefault("settings", {"separation_of_duties": settings.separation_of_duties})
    return document


def decide(settings: Settings, action: str, input: dict[str, Any]) -> Decision:
    """The policy's decision on `action` for `input`."""
    return engine(settings).decide(AUTHZ, complete_input(settings, action, input))


def require(settings: Settings, action: str, input: dict[str, Any]) -> None:
    """Raise `PolicyDenied` with the policy's reasons unless `action` is allowed."""
    decision = decide(settings, action, input)
    if not decision.allow:
        raise PolicyDenied(action, decision.reasons)


def _parameters(settings: Settings) -> dict[str, Any]:
    path: Path = settings.policies_path / "data.json"
    try:
        data = json.loads(path.read_text("utf-8"))
        params: dict[str, Any] = data["tre"]["params"]
    except (OSError, ValueError, KeyError, TypeError):
        raise PolicyUnavailable(
            _("The policy parameters at {path} are missing or malformed.").format(path=path),
            hint=_("Restore policies/data.json from the repository."),
        ) from None
    return params


def tiers(settings: Settings) -> list[str]:
    """The sensitivity tiers defined in policy data."""
    return sorted(_parameters(settings)["tiers"])


def _tier(settings: Settings, tier: str | None) -> dict[str, Any]:
    params = _parameters(settings)
    name = tier or params.get("default_tier", "standard")
    try:
        found: dict[str, Any] = params["tiers"][name]
    except KeyError:
        raise PolicyUnavailable(
            _("{tier} is not a sensitivity tier in policy data.").format(tier=name),
            hint=_("Use one of: {tiers}.").format(tiers=", ".join(sorted(params["tiers"]))),
        ) from None
    return found


def sdc_parameters(settings: Settings, tier: str | None = None) -> dict[str, Any]:
    """Disclosure-check parameters for `tier` (default tier when None), from data.json.

    The tier's profile (`sdc_profile`, one of `sdc_profiles`: acro, opensafely, ndb) gives
    the rule parameters (threshold, dominance_n, dominance_k, p_ratio, min_residual_df,
    zeros, ...); any of them the tier sets itself overrides the profile's (a stricter tier).
    The result also names the profile (`profile`) and has the tier's max_file_bytes and
    allowed_types.
    """
    found = _tier(settings, tier)
    name = found.get("sdc_profile", "acro")
    profiles = _parameters(settings).get("sdc_profiles") or {}
    if name not in profiles:
        raise PolicyUnavailable(
            _("The sensitivity tier names a disclosure-check profile that policy data lacks."),
            hint=_("Restore policies/data.json from the repository."),
        )
    governance = {"required_approvals", "sdc_profile"}
    merged = {k: v for k, v in profiles[name].items() if k != "source"}
    merged.update({k: v for k, v in found.items() if k not in governance})
    return {"profile": name, **merged}


def required_approvals(settings: Settings, tier: str | None = None) -> int:
    """How many independent approvals a release request in `tier` needs."""
    return int(_tier(settings, tier)["required_approvals"])
