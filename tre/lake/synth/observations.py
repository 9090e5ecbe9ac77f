"""Observations (LOINC) for one chunk's encounters: vital signs and laboratory results.

About half of the encounters record vital signs (height, weight, BMI, heart rate and a blood
pressure panel with systolic/diastolic components); each laboratory test is done at some
encounters of people aged 15 and over. Values are normal around plausible means, with blood
pressure and HbA1c rising with age.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pyarrow as pa

from tre.lake.synth import fmt
from tre.lake.synth.encounters import Encounters
from tre.lake.synth.population import Patients
from tre.lake.synth.vocab_clinical import (
    BMI,
    BP_PANEL,
    DIASTOLIC,
    HEART_RATE,
    LABS,
    LOINC_SYSTEM,
    SYSTOLIC,
    UCUM_SYSTEM,
    WEIGHT,
)

HEIGHT = ("8302-2", "Body height", "cm")
# Quantity observations: the three vital signs above, then the laboratory tests.
_QUANTITIES = (HEIGHT, WEIGHT, BMI, HEART_RATE, *((r[0], r[1], r[2]) for r in LABS))
_N_VITALS = 4
LAB_PROBABILITY = 0.1


@cache
def _tables() -> dict[str, pa.Array]:
    return {
        "code": fmt.vocab([q[0] for q in _QUANTITIES]),
        "display": fmt.vocab([q[1] for q in _QUANTITIES]),
        "unit": fmt.vocab([q[2] for q in _QUANTITIES]),
        "category": fmt.vocab(["vital-signs", "laboratory"]),
        "category_display": fmt.vocab(["Vital Signs", "Laboratory"]),
    }


def _vital_values(rng: np.random.Generator, age: np.ndarray, female: np.ndarray) -> np.ndarray:
    """Height, weight, BMI and heart rate, one row per measured encounter."""
    n = len(age)
    adult_height = np.where(female, 157.0, 170.0) - 0.05 * np.maximum(age - 50, 0)
    height = np.where(age < 16, 50 + 7.2 * np.minimum(age, 15), adult_height) + rng.normal(0, 6, n)
    bmi = np.clip(rng.normal(np.where(age < 16, 17.0, 22.8), 3.3, n), 12.0, 45.0)
    weight = bmi * (height / 100) ** 2
    heart_rate = np.round(rng.normal(np.where(age < 6, 105, 72), 10, n))
    return np.column_stack([np.round(height, 1), np.round(weight, 1), np.round(bmi, 1), heart_rate])


def _lab_values(rng: np.random.Generator, lab: np.ndarray, age: np.ndarray) -> np.ndarray:
    mean = np.asarray([float(r[3]) for r in LABS])[lab]
    sd = np.asarray([float(r[4]) for r in LABS])[lab]
    decimals = np.asarray([int(r[5]) for r in LABS])[lab]
    hba1c = lab == 0
    mean = np.where(hba1c, mean + 0.012 * np.maximum(age - 40, 0), mean)
    values = np.abs(rng.normal(mean, sd)) + 0.01
    scale = 10.0**decimals
    return np.round(values * scale) / scale


def _quantity_lines(
    people: Patients, enc: Encounters, rows: np.ndarray, kind: np.ndarray, values: np.ndarray,
    ids: pa.Array,
) -> pa.Array:  # fmt: skip
    t = _tables()
    category = (kind >= _N_VITALS).astype(np.int64)
    unit = fmt.take(t["unit"], kind)
    return fmt.join(
        '{"resourceType":"Observation","id":"', ids, '","status":"final","category":[{"coding":[{'
        '"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"',
        fmt.take(t["category"], category), '","display":"',
        fmt.take(t["category_display"], category),
        '"}]}],"code":{"coding":[{"system":"' + LOINC_SYSTEM + '","code":"',
        fmt.take(t["code"], kind),
        '","display":"', fmt.take(t["display"], kind), '"}],"text":"', fmt.take(t["display"], kind),
        '"},"subject":{"reference":"Patient/', fmt.take(people.ids, enc.patient[rows]),
        '"},"encounter":{"reference":"Encounter/', fmt.take(enc.ids, rows),
        '"},"effectiveDateTime":"', fmt.timestamps(enc.start[rows] + 600),
        '","valueQuantity":{"value":', fmt.num(values), ',"unit":"', unit,
        '","system":"' + UCUM_SYSTEM + '","code":"', unit, '"}}\n',
    )  # fmt: skip


def _bp_component(code: tuple[str, str], values: np.ndarray) -> list[fmt.Part]:
    return [
        '{"code":{"coding":[{"system":"' + LOINC_SYSTEM + '","code":"' + code[0]
        + '","display":"' + code[1] + '"}]},"valueQuantity":{"value":', fmt.num(values),
        ',"unit":"mm[Hg]","system":"' + UCUM_SYSTEM + '","code":"mm[Hg]"}}',
    ]  # fmt: skip


def _bp_lines(
    rng: np.random.Generator, people: Patients, enc: Encounters, rows: np.ndarray
) -> pa.Array:
    age = people.age[enc.patient[rows]]
    n = len(rows)
    systolic = np.round(rng.normal(100 + 0.5 * np.minimum(age, 90), 13, n))
    diastolic = np.round(
        np.minimum(systolic - 25, rng.normal(62 + 0.25 * np.minimum(age, 60), 9, n))
    )
    return fmt.join(
        '{"resourceType":"Observation","id":"', fmt.hex_ids(rng, n),
        '","status":"final","category":[{"coding":[{'
        '"system":"http://terminology.hl7.org/CodeSystem/observation-category",'
        '"code":"vital-signs","display":"Vital Signs"}]}],"code":{"coding":[{"system":"'
        + LOINC_SYSTEM + '","code":"' + BP_PANEL[0] + '","display":"' + BP_PANEL[1]
        + '"}],"text":"' + BP_PANEL[1]
        + '"},"subject":{"reference":"Patient/', fmt.take(people.ids, enc.patient[rows]),
        '"},"encounter":{"reference":"Encounter/', fmt.take(enc.ids, rows),
        '"},"effectiveDateTime":"', fmt.timestamps(enc.start[rows] + 600), '","component":[',
        *_bp_component(SYSTOLIC, systolic), ",", *_bp_component(DIASTOLIC, diastolic), "]}\n",
    )  # fmt: skip


def render_observations(
    rng: np.random.Generator, people: Patients, enc: Encounters
) -> list[pa.Array]:
    """Observation lines for the chunk: quantities, then blood pressure panels."""
    m = len(enc)
    age, female = people.age[enc.patient], people.female[enc.patient]
    vital_rows = np.flatnonzero((rng.random(m) < 0.5) & (age >= 2))
    vitals = _vital_values(rng, age[vital_rows], female[vital_rows])
    lab_mask = (rng.random((m, len(LABS))) < LAB_PROBABILITY) & (age >= 15)[:, None]
    lab_rows, lab = np.nonzero(lab_mask)
    rows = np.concatenate([np.repeat(vital_rows, _N_VITALS), lab_rows])
    kind = np.concatenate([np.tile(np.arange(_N_VITALS), len(vital_rows)), _N_VITALS + lab])
    values = np.concatenate([vitals.ravel(), _lab_values(rng, lab, age[lab_rows])])
    quantities = _quantity_lines(people, enc, rows, kind, values, fmt.hex_ids(rng, len(rows)))
    return interleave(quantities, _bp_lines(rng, people, enc, vital_rows))


def interleave(a: pa.Array, b: pa.Array, parts: int = 64) -> list[pa.Array]:
    """Zero-copy slices of `a` and `b` alternating, so every stretch of a file holds both
    shapes of Observation (readers that infer a schema from a sample see both)."""
    out: list[pa.Array] = []
    for i in range(parts):
        out.append(a.slice(len(a) * i // parts, len(a) * (i + 1) // parts - len(a) * i // parts))
        out.append(b.slice(len(b) * i // parts, len(b) * (i + 1) // parts - len(b) * i // parts))
    return [x for x in out if len(x)]
