"""What each column of a table holds: labels, counts or magnitudes (sums, means, ...)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from tre.sdc.text import TableData

COUNT_STATS = frozenset({"count"})
MAGNITUDE_STATS = frozenset({"sum", "mean", "median", "max", "min"})

_COUNT_NAME = re.compile(
    r"^(n|count|counts|freq|frequency|num|number|patients|persons|people|cases|events|records"
    r"|individuals|subjects|人数|件数|患者数|度数|例数)$"
    r"|^(n|count|num|number|number_of|n_persons|n_patients)_"
    r"|_(n|count|counts|patients|persons|people|cases|人数|件数)$",
    re.IGNORECASE,
)
_MAGNITUDE_NAME = re.compile(
    r"(mean|avg|average|median|sum|cost|amount|rate|ratio|pct|percent|proportion|share|std|"
    r"stdev|variance|(^|_)(min|max)(_|$)|平均|合計|中央値|費用|金額)",
    re.IGNORECASE,
)
_EXTREME_NAME = re.compile(r"^(min|max|minimum|maximum|最小|最大)(_|$)|_(min|max)$", re.I)
_LABEL_NUMBER_NAME = re.compile(
    r"^(year|month|day|week|quarter|age|age_band|age_group|agegroup|code|id|rank|order|index|"
    r"fiscal_year|yyyy|yyyymm|年|月|年度|年齢|順位)$|_(year|code|id|band|group|no)$",
    re.IGNORECASE,
)
TOTAL_LABEL = re.compile(
    r"^\s*(grand\s+total|total|totals|all|sum|overall|subtotal|合計|計|総数|総計|小計|全体|全国)"
    r"(\s*[(（][^)）]*[)）])?"
    r"(\s+(patients|persons|people|cases|ages|groups|areas|regions|years))?\s*:?\s*$",
    re.I,
)


def named_value(name: str) -> bool:
    """Whether a header names a count or a statistic (n_patients, mean_cost, 人数, ...)."""
    return bool(_COUNT_NAME.search(name) or _MAGNITUDE_NAME.search(name))


@dataclass
class Roles:
    labels: list[str] = field(default_factory=list)
    counts: list[str] = field(default_factory=list)
    magnitudes: list[str] = field(default_factory=list)
    extremes: list[str] = field(default_factory=list)
    named: set[str] = field(default_factory=set)  # value columns recognised by their name

    @property
    def values(self) -> list[str]:
        return self.counts + [m for m in self.magnitudes if m not in self.counts]

    @property
    def wide(self) -> bool:
        """Several value columns whose headers are categories: a cross-tabulation."""
        return len(self.values) >= 2 and not self.named


def assign_roles(table: TableData, stat: str | None = None) -> Roles:
    """Decide each column's role from its name, the declared statistic and its values.

    Unnamed numeric columns of non-negative integers are taken as counts (a frequency table,
    the default of a cross-tabulation) unless `stat` says the cells hold another statistic.
    """
    roles = Roles()
    for name in table.names:
        if name not in table.numeric or _LABEL_NUMBER_NAME.search(name):
            roles.labels.append(name)
            continue
        values = table.numeric[name]
        if _EXTREME_NAME.search(name) or (stat in ("max", "min") and not _COUNT_NAME.search(name)):
            roles.extremes.append(name)
            roles.magnitudes.append(name)
            if _EXTREME_NAME.search(name):
                roles.named.add(name)
        elif _COUNT_NAME.search(name):
            roles.counts.append(name)
            roles.named.add(name)
        elif _MAGNITUDE_NAME.search(name):
            roles.magnitudes.append(name)
            roles.named.add(name)
        elif stat in MAGNITUDE_STATS:
            roles.magnitudes.append(name)
        elif stat in COUNT_STATS or _non_negative_integers(values):
            roles.counts.append(name)
        else:
            roles.magnitudes.append(name)
    # A long table whose only numeric columns are categories-like numbers has no value column.
    if not roles.counts and not roles.magnitudes and len(table.numeric) == 1 and stat:
        name = next(iter(table.numeric))
        roles.labels.remove(name)
        (roles.counts if stat in COUNT_STATS else roles.magnitudes).append(name)
    return roles


def _non_negative_integers(values: pa.Array) -> bool:
    valid = pc.drop_null(values)
    if len(valid) == 0:
        return False
    integral = pc.all(pc.equal(pc.floor(valid), valid)).as_py()
    non_negative = pc.min(valid).as_py() >= 0
    return bool(integral and non_negative)


def total_rows(table: TableData, labels: list[str]) -> dict[str, pa.Array]:
    """For each label column, a boolean mask of rows whose label says Total/All."""
    out = {}
    for name in labels:
        column = table.raw.column(name).combine_chunks()
        mask = pc.match_substring_regex(column, TOTAL_LABEL.pattern, ignore_case=True)
        if pc.any(mask).as_py():
            out[name] = mask
    return out
