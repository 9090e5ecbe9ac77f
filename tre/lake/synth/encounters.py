"""Encounters for one chunk of patients, and the Encounter and Claim JSON lines.

Visit rates rise with age (Japan has many outpatient visits per person and long hospital
stays); every encounter falls inside the patient's life and the three-year window, and is
billed by exactly one Claim whose costs (JPY) are log-normal around typical fees.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa

from tre.lake.synth import fmt
from tre.lake.synth.population import REFERENCE_DAY, WINDOW_START_DAY, Patients
from tre.lake.synth.vocab_clinical import (
    ENCOUNTER_KIND_P_OLD,
    ENCOUNTER_KIND_P_YOUNG,
    ENCOUNTER_KINDS,
    INSURANCE_PLANS,
    SNOMED_SYSTEM,
)
from tre.lake.synth.vocab_people import PREFECTURES

INPATIENT = 4  # index of the inpatient kind in ENCOUNTER_KINDS


@dataclass(frozen=True)
class Encounters:
    """One row per encounter, aligned by position; `patient` indexes the chunk's patients."""

    ids: pa.Array
    patient: np.ndarray
    kind: np.ndarray
    start: np.ndarray  # epoch seconds (Japan time)
    end: np.ndarray
    cost: np.ndarray  # JPY, whole yen

    def __len__(self) -> int:
        return len(self.patient)


def _hospital_name(prefecture: str) -> str:
    """A demo hospital per prefecture, e.g. 東京都 -> 東京中央病院, 北海道 -> 北海道中央病院."""
    stem = prefecture[:-1] if prefecture[-1] in "都府県" else prefecture
    return f"{stem}中央病院"


@cache
def _tables() -> dict[str, pa.Array]:
    return {
        "class_code": fmt.vocab([k[0] for k in ENCOUNTER_KINDS]),
        "class_display": fmt.vocab([k[1] for k in ENCOUNTER_KINDS]),
        "type_code": fmt.vocab([k[2] for k in ENCOUNTER_KINDS]),
        "type_display": fmt.vocab([k[3] for k in ENCOUNTER_KINDS]),
        "claim_type": fmt.vocab(["professional"] * INPATIENT + ["institutional"]),
        "hospital": fmt.vocab([_hospital_name(p[1]) for p in PREFECTURES]),
        "plan": fmt.vocab(list(INSURANCE_PLANS)),
    }


def draw_encounters(rng: np.random.Generator, people: Patients) -> Encounters:
    age = people.age
    first = np.maximum(WINDOW_START_DAY, people.birth_day)
    last = np.where(people.death_day >= 0, people.death_day, REFERENCE_DAY)
    years = np.maximum(last - first, 0) / 365.0
    per_year = 1.5 + 0.08 * age + 4.0 * (age < 6)
    count = rng.poisson(per_year * years)
    patient = np.repeat(np.arange(len(people)), count)
    m = len(patient)
    day = first[patient] + (rng.random(m) * (last - first)[patient]).astype(np.int64)
    start = day * 86400 + 8 * 3600 + rng.integers(0, 9 * 3600, m)
    old = age[patient] >= 65
    kind = np.where(
        old,
        rng.choice(len(ENCOUNTER_KINDS), size=m, p=ENCOUNTER_KIND_P_OLD),
        rng.choice(len(ENCOUNTER_KINDS), size=m, p=ENCOUNTER_KIND_P_YOUNG),
    )
    stay_days = np.minimum(1 + rng.geometric(1 / 14, m), 90)
    minutes = np.select(
        [kind == INPATIENT, kind == INPATIENT - 1],
        [stay_days * 1440, rng.integers(120, 480, m)],
        rng.integers(15, 60, m),
    )
    median = np.asarray([k[4] for k in ENCOUNTER_KINDS], dtype=np.float64)[kind]
    sigma = np.asarray([k[5] for k in ENCOUNTER_KINDS])[kind]
    cost = median * np.exp(rng.normal(0.0, 1.0, m) * sigma)
    cost = np.where(kind == INPATIENT, cost * stay_days, cost)
    return Encounters(
        fmt.hex_ids(rng, m), patient, kind, start, start + minutes * 60, np.round(cost, -1)
    )


def render_encounters(people: Patients, enc: Encounters) -> pa.Array:
    t = _tables()
    return fmt.join(
        '{"resourceType":"Encounter","id":"', enc.ids,
        '","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode",'
        '"code":"', fmt.take(t["class_code"], enc.kind),
        '","display":"', fmt.take(t["class_display"], enc.kind),
        '"},"type":[{"coding":[{"system":"' + SNOMED_SYSTEM + '","code":"',
        fmt.take(t["type_code"], enc.kind), '","display":"', fmt.take(t["type_display"], enc.kind),
        '"}]}],"subject":{"reference":"Patient/', fmt.take(people.ids, enc.patient),
        '"},"period":{"start":"', fmt.timestamps(enc.start), '","end":"', fmt.timestamps(enc.end),
        '"},"serviceProvider":{"display":"',
        fmt.take(t["hospital"], people.prefecture[enc.patient]), '"}}\n',
    )  # fmt: skip


def render_claims(
    rng: np.random.Generator,
    people: Patients,
    enc: Encounters,
    condition_ids: pa.Array,
    has_condition: np.ndarray,
    procedure_item: pa.Array,
    procedure_cost: np.ndarray,
) -> pa.Array:
    """One Claim per encounter. `condition_ids` has one (possibly unused) id per encounter;
    `procedure_item` is the JSON of a second claim item, or empty when there was none."""
    t = _tables()
    age = people.age[enc.patient]
    plan = np.where(age >= 75, 3, rng.integers(0, 3, len(enc)))
    created = fmt.timestamps(enc.end)
    total = enc.cost + procedure_cost
    return fmt.join(
        '{"resourceType":"Claim","id":"', fmt.hex_ids(rng, len(enc)),
        '","status":"active","type":{"coding":[{"system":'
        '"http://terminology.hl7.org/CodeSystem/claim-type","code":"',
        fmt.take(t["claim_type"], enc.kind), '"}]},"use":"claim","patient":{"reference":"Patient/',
        fmt.take(people.ids, enc.patient), '"},"billablePeriod":{"start":"',
        fmt.timestamps(enc.start), '","end":"', created, '"},"created":"', created,
        '","provider":{"display":"', fmt.take(t["hospital"], people.prefecture[enc.patient]),
        '"},"priority":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/processpriority",'
        '"code":"normal"}]}',
        fmt.when(has_condition, fmt.join(
            ',"diagnosis":[{"sequence":1,"diagnosisReference":{"reference":"Condition/',
            condition_ids, '"}}]',
        )),
        ',"insurance":[{"sequence":1,"focal":true,"coverage":{"display":"',
        fmt.take(t["plan"], plan), '"}}],"item":[{"sequence":1,"productOrService":{"coding":[{'
        '"system":"' + SNOMED_SYSTEM + '","code":"', fmt.take(t["type_code"], enc.kind),
        '","display":"', fmt.take(t["type_display"], enc.kind),
        '"}]},"encounter":[{"reference":"Encounter/', enc.ids, '"}],"net":{"value":',
        fmt.num(enc.cost.astype(np.int64)), ',"currency":"JPY"}}', procedure_item,
        '],"total":{"value":', fmt.num(total.astype(np.int64)), ',"currency":"JPY"}}\n',
    )  # fmt: skip
