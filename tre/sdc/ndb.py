"""Japan's NDB/介護DB publication rules, for the `ndb` profile.

匿名レセプト情報・匿名特定健診等情報の提供に関するガイドライン 第12 2(1) 最小集計単位の原則:
i) figures by municipality follow the area's population (under 2,000 people nothing; under
25,000 at least 20 patients; otherwise at least 10); ii) counts of facilities under 3;
iii) medicine quantities whose patient numbers are not shown: under 1,000 (oral, topical) or
400 (injections). The general minimum of 10 patients (0 allowed) is the profile's threshold.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow.compute as pc

from tre.sdc._i18n import _
from tre.sdc.findings import Finding
from tre.sdc.params import SdcParams
from tre.sdc.roles import Roles
from tre.sdc.tables import as_numpy, cells
from tre.sdc.text import TableData

_MUNICIPALITY = re.compile(
    r"(?i)(municipality|city|ward|town|village|市区町村|市町村|自治体|区市町村)"
)
_POPULATION = re.compile(r"(?i)^(population|pop|人口|住民数|住民基本台帳人口)")
FACILITY = re.compile(
    r"(?i)(facilit|hospital|clinic|pharmac|institution|医療機関数|施設数|病院数|診療所数|薬局数|事業所数)"
)
_QUANTITY = re.compile(r"(?i)(quantity|dispensed|units|doses|処方数量|処方数|数量|使用量|算定回数)")
_PATIENTS = re.compile(r"(?i)(patient|person|people|患者数|人数|実人数)")
_INJECTION = r"(?i)(inject|注射)"
_ORAL = r"(?i)(oral|topical|external|内服|外用|頓服)"


def ndb_rules(table: TableData, roles: Roles, params: SdcParams) -> list[Finding]:
    findings: list[Finding] = []
    if params.municipality_bands:
        findings += _municipalities(table, roles, params)
    if params.facility_min:
        findings += _facilities(table, roles, params)
    if params.medicine_min_oral or params.medicine_min_injection:
        findings += _medicines(table, roles, params)
    return findings


def _municipalities(table: TableData, roles: Roles, params: SdcParams) -> list[Finding]:
    areas = [n for n in roles.labels if _MUNICIPALITY.search(n)]
    if not areas:
        return []
    population = next((n for n in table.numeric if _POPULATION.search(n)), None)
    counts = [c for c in roles.counts if c != population and not FACILITY.search(c)]
    if population is None:
        return [
            Finding(
                "municipality-population",
                "review",
                _(
                    "Figures by municipality: the publication rules depend on each area's "
                    "population, which the table does not give; add it or check by hand."
                ),
                columns=areas,
            )
        ]
    people = as_numpy(table.numeric[population])
    found: list[tuple[int, str]] = []
    for name in counts:
        values = as_numpy(table.numeric[name])
        too_small = np.zeros(table.num_rows, dtype=bool)
        lower = 0
        for below, least in params.municipality_bands:
            band = (people >= lower) & (people < below)
            too_small |= band & (values > 0) & ((least == 0) | (values < least))
            lower = below
        found += cells(too_small, name)
    if not found:
        return []
    return [
        Finding(
            "municipality-minimum",
            "block",
            _(
                "{n} figures are for municipalities too small for them: under 2,000 people "
                "nothing may be published, under 25,000 no count below 20."
            ).format(n=len(found)),
            columns=sorted({c for _r, c in found}),
            cells=found,
        )
    ]


def _facilities(table: TableData, roles: Roles, params: SdcParams) -> list[Finding]:
    found: list[tuple[int, str]] = []
    for name in table.numeric:
        if name in roles.labels or not FACILITY.search(name):
            continue
        values = as_numpy(table.numeric[name])
        found += cells((values > 0) & (values < params.facility_min), name)
    if not found:
        return []
    return [
        Finding(
            "facility-minimum",
            "block",
            _("{n} cells count fewer than {t} facilities: each could be identified.").format(
                n=len(found), t=params.facility_min
            ),
            columns=sorted({c for _r, c in found}),
            cells=found,
        )
    ]


def _medicines(table: TableData, roles: Roles, params: SdcParams) -> list[Finding]:
    quantities = [n for n in table.numeric if _QUANTITY.search(n) and n not in roles.labels]
    if not quantities or any(_PATIENTS.search(c) for c in roles.counts):
        return []  # with patient numbers shown, the threshold on patients applies
    route = np.full(table.num_rows, "", dtype=object)
    for name in roles.labels:
        column = table.raw.column(name).combine_chunks()
        inj = np.asarray(pc.fill_null(pc.match_substring_regex(column, _INJECTION), False))
        oral = np.asarray(pc.fill_null(pc.match_substring_regex(column, _ORAL), False))
        route = np.where(inj & (route == ""), "injection", route)
        route = np.where(oral & (route == ""), "oral", route)
    found: list[tuple[int, str]] = []
    for name in quantities:
        header_route = "injection" if re.search(_INJECTION, name) else ""
        rows_route = np.where(route == "", header_route, route)
        least = np.where(
            rows_route == "injection", params.medicine_min_injection, params.medicine_min_oral
        )
        values = as_numpy(table.numeric[name])
        found += cells((values > 0) & (values < least), name)
    if not found:
        return []
    return [
        Finding(
            "medicine-minimum",
            "block",
            _(
                "{n} medicine quantities are below the published minimum (1,000 for oral and "
                "topical, 400 for injections) while the number of patients is not shown."
            ).format(n=len(found)),
            columns=sorted({c for _r, c in found}),
            cells=found,
        )
    ]


__all__ = ["FACILITY", "ndb_rules"]
