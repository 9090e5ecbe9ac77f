"""Which strings an ingest collects as removed direct identifiers (what the sweep looks for).

Every place a person's name, contact details, identifiers or clinicians' names sit in a
resource must be collected; codes and other kept values must not be (they would make the
sweep fail on clean data)."""

from __future__ import annotations

import json
from typing import Any

import duckdb
import pyarrow as pa

from tre.lake import fhir
from tre.lake.fhir_read import SCHEMA

PATIENT = {
    "resourceType": "Patient",
    "id": "pat-0001",
    "identifier": [{"system": "urn:ssn", "value": "999-12-3456"}],
    "name": [{"family": "Yamada", "given": ["Taro", "Jiro"], "text": "Mr Yamada"}],
    "telecom": [{"system": "phone", "value": "090-1234-5678"}],
    "address": [
        {
            "line": ["1-2-3 Chiyoda"],
            "city": "Chiyoda-ku",
            "postalCode": "100-0001",
            "district": "Kanda",
            "state": "Tokyo",
        }
    ],
    "contact": [
        {"name": {"family": "Suzuki", "given": ["Hanako"]}, "telecom": [{"value": "03-1111"}]}
    ],
    "extension": [
        {"url": "birthPlace", "valueAddress": {"city": "Osaka-shi", "line": ["Umeda 4"]}},
        {"url": "mothersMaidenName", "valueString": "Tanaka"},
    ],
    "gender": "male",
}
ENCOUNTER = {
    "resourceType": "Encounter",
    "id": "enc-0001",
    "status": "finished",
    "class": {"code": "AMB"},
    "subject": {"reference": "Patient/pat-0001", "display": "Yamada Taro (display)"},
    "participant": [{"individual": {"reference": "Practitioner/9", "display": "Dr. Sato"}}],
    "serviceProvider": {"display": "Tokyo General"},
    "location": [{"location": {"display": "Ward 7"}}],
}
OBSERVATION = {
    "resourceType": "Observation",
    "id": "obs-0001",
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "8302-2", "display": "Height"}]},
    "subject": {"reference": "Patient/pat-0001"},
    "performer": [{"display": "Nurse Ito", "reference": "Practitioner/10"}],
}


def _removed(*resources: dict[str, Any]) -> set[str]:
    con = duckdb.connect()
    fhir.prepare(con, "test", b"k" * 32)
    docs = [json.dumps(r) for r in resources]
    batch = pa.table(
        {
            "file_no": pa.array([0] * len(docs), pa.int32()),
            "line": pa.array(range(1, len(docs) + 1), pa.int64()),
            "kind": ["ndjson"] * len(docs),
            "doc": pa.array(docs, pa.large_string()),
        },
        schema=SCHEMA,
    )
    fhir.load_batch(con, batch)
    values = fhir.removed_rows(con).column("value").to_pylist()
    assert len(values) == len(set(values))  # here each string once (own ids are not deduplicated)
    return set(values)


def test_every_identifying_string_of_a_patient_is_collected() -> None:
    assert _removed(PATIENT) == {
        "pat-0001",
        "999-12-3456",
        "Yamada",
        "Taro",
        "Jiro",
        "Mr Yamada",
        "Taro Jiro Yamada",
        "090-1234-5678",
        "1-2-3 Chiyoda",
        "Chiyoda-ku",
        "100-0001",
        "Kanda",
        "Suzuki",
        "Hanako",
        "03-1111",
        "Osaka-shi",
        "Umeda 4",
        "Tanaka",
    }


def test_clinical_resources_give_their_ids_and_reference_displays_only() -> None:
    assert _removed(ENCOUNTER, OBSERVATION) == {
        "enc-0001",
        "Yamada Taro (display)",
        "Dr. Sato",
        "Tokyo General",
        "Ward 7",
        "obs-0001",
        "Nurse Ito",
    }


def test_people_fields_of_clinical_resources_are_not_collected() -> None:
    # A field named like a person's (here a coded "name") on another resource type is not
    # an identifier of a person; collecting it would make the sweep fail on clean data.
    odd = {**OBSERVATION, "name": [{"family": "Height"}]}
    assert "Height" not in _removed(odd)


def test_every_modelled_type_says_which_reference_displays_it_has() -> None:
    from tre.lake.fhir_tables import BY_TYPE

    assert set(fhir.REFERENCE_DISPLAYS_R4) == set(BY_TYPE)
    for resource_type, fields in fhir.REFERENCE_DISPLAYS_R4.items():
        assert set(fields) <= set(fhir.REMOVED_STRUCTURE) - set(fhir.PEOPLE_FIELDS)
        read = fhir.removed_fields(resource_type)
        assert {"id", "identifier"} <= set(read)
        if subject := BY_TYPE[resource_type].subject_field:  # its display names the patient
            assert subject in read, resource_type
