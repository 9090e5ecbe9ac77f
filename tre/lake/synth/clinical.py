"""Conditions, medication requests and procedures for one chunk's encounters.

Diagnoses are ICD-10 codes drawn by age group and sex (no prostate cancer in women, no
pregnancy outside ages 16-45); drugs are ATC codes; procedures SNOMED CT codes with fees.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tre.lake.synth import fmt
from tre.lake.synth.encounters import INPATIENT, Encounters
from tre.lake.synth.population import REFERENCE_DAY, Patients
from tre.lake.synth.vocab_clinical import (
    ATC_SYSTEM,
    DOSAGE_TEXTS,
    DRUGS,
    ICD10,
    ICD10_SYSTEM,
    PROCEDURES,
    SNOMED_SYSTEM,
)

_FEMALE_ONLY = {"N76.0", "N95.1", "N92.0", "N94.6", "N80.9", "D25.9", "C53.9", "C54.1", "C56"}
_FEMALE_ONLY |= {"M81.0", "M80.0", "O80", "O21.0", "O24.4", "Z34.9"}
_MALE_ONLY = {"N40", "C61"}
_GROUP_BOOST = {  # relative weight of each diagnosis group in each age group
    "young": {"c": 3.0, "a": 1.0, "e": 0.05},
    "adult": {"c": 0.6, "a": 1.0, "e": 0.7},
    "old": {"c": 0.2, "a": 0.7, "e": 2.5},
}


@cache
def _tables() -> dict[str, pa.Array]:
    return {
        "icd_code": fmt.vocab([r[0] for r in ICD10]),
        "icd_display": fmt.vocab([r[1] for r in ICD10]),
        "clinical_status": fmt.vocab(["resolved" if r[2] == "c" else "active" for r in ICD10]),
        "drug_code": fmt.vocab([r[0] for r in DRUGS]),
        "drug_display": fmt.vocab([r[1] for r in DRUGS]),
        "dosage": fmt.vocab(list(DOSAGE_TEXTS)),
        "status": fmt.vocab(["completed", "active"]),
        "proc_code": fmt.vocab([r[0] for r in PROCEDURES]),
        "proc_display": fmt.vocab([r[1] for r in PROCEDURES]),
    }


@cache
def _diagnosis_p(age_group: str, female: bool, fertile: bool) -> np.ndarray:
    weights = []
    for code, _display, group, weight in ICD10:
        w = float(weight) * _GROUP_BOOST[age_group][group]
        if (code in _FEMALE_ONLY and not female) or (code in _MALE_ONLY and female):
            w = 0.0
        if (code.startswith("O") or code == "Z34.9") and not fertile:
            w = 0.0
        weights.append(w)
    p = np.asarray(weights)
    return p / p.sum()


def draw_diagnoses(rng: np.random.Generator, age: np.ndarray, female: np.ndarray) -> np.ndarray:
    """An ICD10 index per row, drawn bucket by bucket (age group x sex x fertile age)."""
    groups = np.where(age < 20, 0, np.where(age < 60, 1, 2))
    fertile = female & (age >= 16) & (age <= 45)
    out = np.zeros(len(age), dtype=np.int64)
    for g, name in enumerate(("young", "adult", "old")):
        for is_female in (False, True):
            for is_fertile in (False, True):
                rows = np.flatnonzero(
                    (groups == g) & (female == is_female) & (fertile == is_fertile)
                )
                if len(rows):
                    p = _diagnosis_p(name, is_female, is_fertile)
                    out[rows] = rng.choice(len(ICD10), size=len(rows), p=p)
    return out


def render_conditions(
    rng: np.random.Generator, people: Patients, enc: Encounters, ids: pa.Array, mask: np.ndarray
) -> pa.Array:
    """Conditions for the encounters selected by `mask`; `ids` has one id per encounter."""
    t = _tables()
    rows = np.flatnonzero(mask)
    patient = enc.patient[rows]
    code = draw_diagnoses(rng, people.age[patient], people.female[patient])
    onset = fmt.timestamps(enc.start[rows])
    return fmt.join(
        '{"resourceType":"Condition","id":"', pc.filter(ids, pa.array(mask)),
        '","clinicalStatus":{"coding":[{"system":'
        '"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"',
        fmt.take(t["clinical_status"], code),
        '"}]},"verificationStatus":{"coding":[{"system":'
        '"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"confirmed"}]},'
        '"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-category",'
        '"code":"encounter-diagnosis","display":"Encounter Diagnosis"}]}],'
        '"code":{"coding":[{"system":"' + ICD10_SYSTEM + '","code":"',
        fmt.take(t["icd_code"], code),
        '","display":"', fmt.take(t["icd_display"], code), '"}],"text":"',
        fmt.take(t["icd_display"], code), '"},"subject":{"reference":"Patient/',
        fmt.take(people.ids, patient), '"},"encounter":{"reference":"Encounter/',
        fmt.take(enc.ids, rows), '"},"onsetDateTime":"', onset, '","recordedDate":"', onset, '"}\n',
    )  # fmt: skip


def render_medications(rng: np.random.Generator, people: Patients, enc: Encounters) -> pa.Array:
    t = _tables()
    per_encounter = np.minimum(rng.poisson(0.3 + 0.01 * people.age[enc.patient]), 5)
    rows = np.repeat(np.arange(len(enc)), per_encounter)
    n = len(rows)
    weights = np.asarray([float(r[2]) for r in DRUGS])
    drug = rng.choice(len(DRUGS), size=n, p=weights / weights.sum())
    authored = enc.start[rows]
    active = (authored // 86400) >= REFERENCE_DAY - 90
    return fmt.join(
        '{"resourceType":"MedicationRequest","id":"', fmt.hex_ids(rng, n), '","status":"',
        fmt.take(t["status"], active.astype(np.int64)),
        '","intent":"order","medicationCodeableConcept":{"coding":[{"system":"' + ATC_SYSTEM
        + '","code":"', fmt.take(t["drug_code"], drug), '","display":"',
        fmt.take(t["drug_display"], drug), '"}],"text":"', fmt.take(t["drug_display"], drug),
        '"},"subject":{"reference":"Patient/', fmt.take(people.ids, enc.patient[rows]),
        '"},"encounter":{"reference":"Encounter/', fmt.take(enc.ids, rows),
        '"},"authoredOn":"', fmt.timestamps(authored), '","dosageInstruction":[{"text":"',
        fmt.take(t["dosage"], rng.integers(0, len(DOSAGE_TEXTS), n)), '"}]}\n',
    )  # fmt: skip


def render_procedures(
    rng: np.random.Generator, people: Patients, enc: Encounters
) -> tuple[pa.Array, pa.Array, np.ndarray]:
    """Procedure lines, plus per encounter the JSON of a claim item and its cost (or "" / 0)."""
    t = _tables()
    m = len(enc)
    p = np.where(enc.kind == INPATIENT, 0.8, np.where(enc.kind == INPATIENT - 1, 0.5, 0.15))
    mask = rng.random(m) < p
    weights = np.asarray([float(r[2]) for r in PROCEDURES])
    proc = rng.choice(len(PROCEDURES), size=m, p=weights / weights.sum())
    median = np.asarray([float(r[3]) for r in PROCEDURES])[proc]
    cost = np.where(mask, np.round(median * np.exp(rng.normal(0, 0.3, m)), -1), 0.0)
    rows = np.flatnonzero(mask)
    code, display = fmt.take(t["proc_code"], proc), fmt.take(t["proc_display"], proc)
    coding = fmt.join(
        '{"coding":[{"system":"' + SNOMED_SYSTEM + '","code":"', code, '","display":"', display,
        '"}],"text":"', display, '"}',
    )  # fmt: skip
    item = fmt.when(mask, fmt.join(
        ',{"sequence":2,"productOrService":', coding, ',"net":{"value":',
        fmt.num(cost.astype(np.int64)), ',"currency":"JPY"}}',
    ))  # fmt: skip
    lines = fmt.join(
        '{"resourceType":"Procedure","id":"', fmt.hex_ids(rng, len(rows)),
        '","status":"completed","code":', fmt.take(coding, rows),
        ',"subject":{"reference":"Patient/', fmt.take(people.ids, enc.patient[rows]),
        '"},"encounter":{"reference":"Encounter/', fmt.take(enc.ids, rows),
        '"},"performedDateTime":"', fmt.timestamps(enc.start[rows] + 1800), '"}\n',
    )  # fmt: skip
    return lines, item, cost
