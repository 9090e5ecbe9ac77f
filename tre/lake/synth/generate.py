"""Render one chunk of synthetic patients into FHIR R4 JSON lines, one array per resource type.

A chunk depends only on (seed, chunk index, chunk size), so output is deterministic and
chunks can be generated one after another with memory bounded by the chunk size.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tre.lake.synth import fmt
from tre.lake.synth.clinical import render_conditions, render_medications, render_procedures
from tre.lake.synth.encounters import INPATIENT, draw_encounters, render_claims, render_encounters
from tre.lake.synth.observations import render_observations
from tre.lake.synth.population import draw_patients, render_patients

RESOURCE_TYPES = (
    "Patient",
    "Encounter",
    "Condition",
    "Observation",
    "MedicationRequest",
    "Procedure",
    "Claim",
)


def render_chunk(seed: int, index: int, first_patient: int, n: int) -> dict[str, list[pa.Array]]:
    """JSON lines (newline-terminated) for patients first_patient .. first_patient + n - 1,
    as one or more string arrays per resource type."""
    rng = np.random.default_rng([seed, index])
    people = draw_patients(rng, n)
    patients = render_patients(rng, people, first_patient)
    enc = draw_encounters(rng, people)
    acute = enc.kind >= INPATIENT - 1
    has_condition = rng.random(len(enc)) < np.where(acute, 0.9, 0.5)
    condition_ids = fmt.hex_ids(rng, len(enc))
    conditions = render_conditions(rng, people, enc, condition_ids, has_condition)
    observations = render_observations(rng, people, enc)
    medications = render_medications(rng, people, enc)
    procedures, claim_item, procedure_cost = render_procedures(rng, people, enc)
    claims = render_claims(
        rng, people, enc, condition_ids, has_condition, claim_item, procedure_cost
    )
    return {
        "Patient": [patients],
        "Encounter": [render_encounters(people, enc)],
        "Condition": [conditions],
        "Observation": observations,
        "MedicationRequest": [medications],
        "Procedure": [procedures],
        "Claim": [claims],
    }
