"""Parameters of the disclosure checks, and the profiles they come from.

A profile is the rule set of the body that releases: `acro` (the default; ACRO 1.0.2's
`acro/default.yaml`: threshold 10, NK rule n=2 k=0.9, p-ratio 0.1, residual degrees of freedom
10, zeros disclosive, and what ACRO fails or holds for review is blocked), `opensafely`
(counts of 7 or fewer redacted, counts rounded to 5 or midpoint 6) and `ndb` (Japan's
NDB/介護DB publication rules: fewer than 10 persons not published, zeros allowed,
municipalities by population, medicine quantities, facility counts). The profiles' values
live in `policies/data.json` (`sdc_profiles`, each with its source); a tier names its profile
and may make it stricter. The airlock passes the merged values through
`SdcParams.from_mapping`; `tre.sdc` never reads policy itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from tre.errors import InputError
from tre.sdc._i18n import _
from tre.sdc.findings import Severity

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
    "sdc_profile": "profile",
    "safe_round_base": "rounding_base",
    "max_size_bytes": "max_file_bytes",
    "allowed_file_types": "allowed_types",
    "file_types": "allowed_types",
}


PROFILES = ("acro", "opensafely", "ndb")
Zeros = Literal["disclosive", "sampling", "structural"]
_ZEROS_SEVERITY: dict[str, Severity] = {
    "disclosive": "block",
    "sampling": "review",
    "structural": "info",
}


@dataclass(frozen=True)
class SdcParams:
    """Thresholds and rule choices for one sensitivity tier.

    - `zeros`: "disclosive" blocks zero cells (a zero reveals that nobody in a group has a
      trait; ACRO's `zeros_are_disclosive: True`, which ACRO fails); "sampling" holds them
      for review; "structural" means zeros are impossible combinations and only notes them.
    - `unchecked`: the severity of a check that cannot be made (negative contributions where
      dominance is undefined): "block" under `acro`, where ACRO holds such a table for review
      and a check not made is not a pass.
    - `class_share`: a count holding at least this share of its row or column (class
      disclosure: nearly everyone in a group shares a trait) is held for review; one
      holding all of it (the others zero) is what `zeros` says a zero is.
    - `rounding_base`: when above 0, every count must be rounded to this base (or to
      midpoint 6, `rounding_midpoint6`), as OpenSAFELY requires.
    - `municipality_bands`: (population below, minimum count) pairs for figures by
      municipality; a minimum of 0 means nothing may be published for such an area.
    - `medicine_min_oral`, `medicine_min_injection`: the smallest medicine quantity that may
      be published when the number of patients behind it is not shown (NDB).
    - `facility_min`: the smallest number of facilities a cell may count (NDB).
    """

    profile: str = "acro"
    threshold: int = 10
    nk_n: int = 2
    nk_k: float = 0.9
    p_ratio: float = 0.1
    min_residual_df: int = 10
    max_file_bytes: int = 16 * MIB
    allowed_types: frozenset[str] = field(default=DEFAULT_ALLOWED_TYPES)
    zeros: Zeros = "disclosive"
    unchecked: Literal["block", "review"] = "block"
    class_share: float = 0.9
    rounding_base: int = 0
    rounding_midpoint6: bool = False
    municipality_bands: tuple[tuple[int, int], ...] = ()
    medicine_min_oral: int = 0
    medicine_min_injection: int = 0
    facility_min: int = 0

    @property
    def zeros_severity(self) -> Severity:
        """What a zero cell (nobody in a group has the trait) is under this profile."""
        return _ZEROS_SEVERITY[self.zeros]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None, tier: str | None = None) -> SdcParams:
        """Build parameters from policy data, tolerating its layout.

        Accepts flat keys, ACRO's names and the policy's (`dominance_n`, `dominance_k`), the
        whole `policies/data.json` (`tre.params`), an `sdc` sub-mapping, and per-tier mappings
        (`{"tiers": {tier: {...}}}` or `{tier: {...}}`), where tier values override the
        general ones. A `profile` (or `sdc_profile`) names the base values, taken from a
        `sdc_profiles` mapping when the data has one; the other keys override them. Unknown
        keys are ignored; a value of the wrong type or an unknown profile is an `InputError`.
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
        base = cls()
        if "profile" in merged:
            profiles = next(
                (
                    layer["sdc_profiles"]
                    for layer in layers
                    if isinstance(layer.get("sdc_profiles"), Mapping)
                ),
                None,
            )
            base = cls.profile_named(str(merged["profile"]), profiles)
        return base._with(merged)

    @classmethod
    def profile_named(cls, name: str, profiles: Mapping[str, Any] | None = None) -> SdcParams:
        """The parameters of profile `name`: from `profiles` (policy data) when given, else
        the values built in here, which `policies/data.json` repeats (a test holds them
        equal)."""
        if name not in PROFILES:
            raise InputError(
                _("There is no disclosure-check profile named '{name}'.").format(name=name),
                hint=_("Use one of: {names}.").format(names=", ".join(PROFILES)),
            )
        values = profiles.get(name) if profiles else None
        if not isinstance(values, Mapping):
            values = BUILT_IN_PROFILES[name]
        return cls(profile=name)._with(values)

    def _with(self, values: Mapping[str, Any]) -> SdcParams:
        known = {f.name for f in fields(self)}
        updates: dict[str, Any] = {}
        for key, value in values.items():
            if key == "zeros_are_disclosive":  # ACRO fails zeros when it is true
                updates["zeros"] = "disclosive" if value else "structural"
            elif key in ("max_file_mib", "max_size_mib", "max_file_mb"):
                updates["max_file_bytes"] = int(float(value) * MIB)
            elif key in known and key != "profile":
                updates[key] = _coerce(key, value)
            elif key == "profile":
                updates[key] = str(value)
        return replace(self, **updates)


def _coerce(key: str, value: Any) -> Any:
    try:
        if key in _INTEGERS:
            if isinstance(value, bool):
                raise TypeError
            return int(value)
        if key in ("nk_k", "p_ratio", "class_share"):
            number = float(value)
            return number / 100 if number > 1 else number  # "10" percent means 0.1
        if key == "allowed_types":
            items: Iterable[Any] = [value] if isinstance(value, str) else value
            return frozenset(str(v).lower().lstrip(".").replace("jpg", "jpeg") for v in items)
        if key in _CHOICES:
            if value not in _CHOICES[key]:
                raise ValueError
            return value
        if key == "rounding_midpoint6":
            if not isinstance(value, bool):
                raise TypeError
            return value
        if key == "municipality_bands":
            bands = []
            for band in value:
                if isinstance(band, Mapping):
                    below, least = band["population_below"], band["min_count"]
                else:
                    below, least = band
                bands.append((int(below), int(least or 0)))
            return tuple(sorted(bands))
    except (TypeError, ValueError, KeyError) as exc:
        raise InputError(
            _("The disclosure-check parameter '{key}' has a value of the wrong type.").format(
                key=key
            ),
            hint=_("Fix the policy data (policies/data.json)."),
        ) from exc
    return value


_INTEGERS = frozenset(
    {
        "threshold",
        "nk_n",
        "min_residual_df",
        "max_file_bytes",
        "rounding_base",
        "medicine_min_oral",
        "medicine_min_injection",
        "facility_min",
    }
)
_CHOICES = {"zeros": ("disclosive", "sampling", "structural"), "unchecked": ("block", "review")}

# The profiles' values as published by their sources; `policies/data.json` holds the same
# (with the sources named) and is what a deployment reads.
BUILT_IN_PROFILES: dict[str, dict[str, Any]] = {
    "acro": {
        "threshold": 10,
        "nk_n": 2,
        "nk_k": 0.9,
        "p_ratio": 0.1,
        "min_residual_df": 10,
        "zeros": "disclosive",
        "unchecked": "block",
        "class_share": 0.9,
    },
    "opensafely": {
        "threshold": 8,
        "nk_n": 2,
        "nk_k": 0.9,
        "p_ratio": 0.1,
        "min_residual_df": 10,
        "zeros": "sampling",
        "unchecked": "review",
        "class_share": 0.9,
        "rounding_base": 5,
        "rounding_midpoint6": True,
    },
    "ndb": {
        "threshold": 10,
        "nk_n": 2,
        "nk_k": 0.9,
        "p_ratio": 0.1,
        "min_residual_df": 10,
        "zeros": "structural",
        "unchecked": "review",
        "class_share": 0.9,
        "municipality_bands": [[2000, 0], [25000, 20]],
        "medicine_min_oral": 1000,
        "medicine_min_injection": 400,
        "facility_min": 3,
    },
}
