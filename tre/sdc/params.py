"""Parameters of the disclosure checks.

Defaults follow ACRO 1.0.2 (`acro/default.yaml`): threshold 10, NK rule n=2 k=0.9, p-ratio 0.1,
residual degrees of freedom 10, zeros treated as disclosive (sampling zeros). The airlock passes
the values of the policy's `data.json` for the datasets' sensitivity tier through
`SdcParams.from_mapping`; `tre.sdc` never reads policy itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from tre.errors import InputError
from tre.sdc._i18n import _

MIB = 1024 * 1024
DEFAULT_ALLOWED_TYPES = frozenset({"csv", "tsv", "txt", "md", "json", "png", "jpeg"})

# Other spellings accepted by from_mapping (ACRO's names, and a few obvious variants).
_ALIASES = {
    "safe_threshold": "threshold",
    "min_count": "threshold",
    "frequency_threshold": "threshold",
    "safe_nk_n": "nk_n",
    "dominance_n": "nk_n",
    "dominance_k": "nk_k",
    "safe_nk_k": "nk_k",
    "safe_pratio_p": "p_ratio",
    "pratio_p": "p_ratio",
    "p_percent": "p_ratio",
    "safe_dof_threshold": "min_residual_df",
    "residual_df": "min_residual_df",
    "min_df": "min_residual_df",
    "max_bytes": "max_file_bytes",
    "max_size_bytes": "max_file_bytes",
    "allowed_file_types": "allowed_types",
    "file_types": "allowed_types",
}


@dataclass(frozen=True)
class SdcParams:
    """Thresholds for one sensitivity tier.

    `zeros`: "sampling" means a zero may reveal that nobody in a group has a trait (class
    disclosure) and is flagged for review, as ACRO's `zeros_are_disclosive: True`; "structural"
    means zeros are impossible combinations by design and are only noted.
    """

    threshold: int = 10
    nk_n: int = 2
    nk_k: float = 0.9
    p_ratio: float = 0.1
    min_residual_df: int = 10
    max_file_bytes: int = 16 * MIB
    allowed_types: frozenset[str] = field(default=DEFAULT_ALLOWED_TYPES)
    zeros: Literal["sampling", "structural"] = "sampling"

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None, tier: str | None = None) -> SdcParams:
        """Build parameters from policy data, tolerating its layout.

        Accepts flat keys, ACRO's names and the policy's (`dominance_n`, `dominance_k`), the
        whole `policies/data.json` (`tre.params`), an `sdc` sub-mapping, and per-tier mappings
        (`{"tiers": {tier: {...}}}` or `{tier: {...}}`), where tier values override the
        general ones. Unknown keys are ignored; a value of the wrong type is an `InputError`.
        """
        if not data:
            return cls()
        merged: dict[str, Any] = {}
        layers: list[Mapping[str, Any]] = [data]
        for key in ("tre", "params", "sdc"):  # policies/data.json nests tre.params.tiers
            if isinstance(layers[-1].get(key), Mapping):
                layers.append(layers[-1][key])
        for layer in list(layers):
            if tier is not None:
                for key in ("tiers", "by_tier", "tier"):
                    if isinstance(layer.get(key), Mapping) and isinstance(
                        layer[key].get(tier), Mapping
                    ):
                        layers.append(layer[key][tier])
                if isinstance(layer.get(tier), Mapping):
                    layers.append(layer[tier])
        for layer in layers:
            for key, value in layer.items():
                if isinstance(value, Mapping):
                    continue  # sub-mappings (sdc, tiers) were layered above
                merged[_ALIASES.get(key, key)] = value
        if tier is None and isinstance(layers[-1].get("tiers"), Mapping):
            default = layers[-1].get("default_tier")
            if isinstance(default, str):
                return cls.from_mapping(data, default)
        return cls()._with(merged)

    def _with(self, values: Mapping[str, Any]) -> SdcParams:
        known = {f.name for f in fields(self)}
        updates: dict[str, Any] = {}
        for key, value in values.items():
            if key == "zeros_are_disclosive":
                updates["zeros"] = "sampling" if value else "structural"
            elif key in ("max_file_mib", "max_size_mib", "max_file_mb"):
                updates["max_file_bytes"] = int(float(value) * MIB)
            elif key in known:
                updates[key] = _coerce(key, value)
        return replace(self, **updates)


def _coerce(key: str, value: Any) -> Any:
    try:
        if key in ("threshold", "nk_n", "min_residual_df", "max_file_bytes"):
            if isinstance(value, bool):
                raise TypeError
            return int(value)
        if key in ("nk_k", "p_ratio"):
            number = float(value)
            return number / 100 if number > 1 else number  # "10" percent means 0.1
        if key == "allowed_types":
            items: Iterable[Any] = [value] if isinstance(value, str) else value
            return frozenset(str(v).lower().lstrip(".").replace("jpg", "jpeg") for v in items)
        if key == "zeros":
            if value not in ("sampling", "structural"):
                raise ValueError
            return value
    except (TypeError, ValueError) as exc:
        raise InputError(
            _("The disclosure-check parameter '{key}' has a value of the wrong type.").format(
                key=key
            ),
            hint=_("Fix the policy data (policies/data.json)."),
        ) from exc
    return value
