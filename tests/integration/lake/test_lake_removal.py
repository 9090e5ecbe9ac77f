"""Each removed field, one by one, on a bundle that carries every kind of direct identifier."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from lakehelp import lake_strings, make_settings

from tre.lake.ingest import ingest_fhir

MARKERS = {
    "official name": "Quenby",
    "family name": "Wolstenholme",
    "maiden name": "Fairweather",
    "mother's maiden name": "Thistlewood",
    "prefix": "Brigadier",
    "phone": "555-867-5309",
    "email": "quenby@example.org",
    "address line": "42 Wallaby Way",
    "city": "Springfield-Upon-Avon",
    "postal code": "XY9 8ZZ",
    "district": "Lower Fenwick",
    "latitude": "42.123456",
    "birthplace": "Birthtown-Marsh",
    "SSN": "999-77-1234",
    "MRN": "MRN-5544332211",
    "passport": "X55667788X",
    "driver's licence": "S99887766",
    "patient id": "pat-7d1c4e19",
    "narrative": "Narrative-Secret-Text",
    "attachment": "Attachment-Note-Content",
    "presented form": "Presented-Form-Report",
    "reference display": "Display-Person-Name",
    "clinician name": "Dr. Hippolyta Cranswick",
    "clinician NPI": "9999912345",
    "birth date": "1984-07-19",
    "death date": "2019-03-02",
}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def bundle() -> dict[str, Any]:
    m = MARKERS
    patient_ref = {"reference": f"urn:uuid:{m['patient id']}", "display": m["reference display"]}
    clinician = {"reference": "urn:uuid:prac-1", "display": m["clinician name"]}
    patient = {
        "resourceType": "Patient",
        "id": m["patient id"],
        "text": {"status": "generated", "div": f"<div>{m['narrative']}</div>"},
        "extension": [
            {
                "url": "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName",
                "valueString": m["mother's maiden name"],
            },
            {
                "url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
                "valueAddress": {"city": m["birthplace"], "state": "Kent", "country": "GB"},
            },
        ],
        "identifier": [
            {"system": "http://hl7.org/fhir/sid/us-ssn", "value": m["SSN"]},
            {"system": "http://hospital.example.org", "value": m["MRN"]},
            {"system": "urn:passport", "value": m["passport"]},
            {"system": "urn:oid:2.16.840.1.113883.4.3.25", "value": m["driver's licence"]},
        ],
        "name": [
            {
                "use": "official",
                "family": m["family name"],
                "given": [m["official name"]],
                "prefix": [m["prefix"]],
            },
            {"use": "maiden", "family": m["maiden name"], "given": [m["official name"]]},
        ],
        "telecom": [
            {"system": "phone", "value": m["phone"]},
            {"system": "email", "value": m["email"]},
        ],
        "gender": "female",
        "birthDate": m["birth date"],
        "deceasedDateTime": m["death date"] + "T10:00:00Z",
        "address": [
            {
                "extension": [
                    {
                        "url": "http://hl7.org/fhir/StructureDefinition/geolocation",
                        "extension": [{"url": "latitude", "valueDecimal": float(m["latitude"])}],
                    }
                ],
                "line": [m["address line"]],
                "city": m["city"],
                "district": m["district"],
                "postalCode": m["postal code"],
                "state": "Kent",
                "country": "GB",
            }
        ],
        "photo": [{"contentType": "image/png", "data": b64(m["attachment"])}],
    }
    practitioner = {
        "resourceType": "Practitioner",
        "id": "prac-1",
        "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": m["clinician NPI"]}],
        "name": [{"family": "Cranswick", "given": ["Hippolyta"]}],
    }
    encounter = {
        "resourceType": "Encounter",
        "id": "enc-1",
        "status": "finished",
        "class": {"code": "AMB"},
        "subject": patient_ref,
        "participant": [{"individual": clinician}],
        "period": {"start": "2020-01-01T10:00:00Z"},
    }
    report = {
        "resourceType": "DiagnosticReport",
        "id": "dr-1",
        "status": "final",
        "code": {
            "coding": [
                {"system": "http://loinc.org", "code": "11506-3", "display": "Progress note"}
            ]
        },
        "subject": patient_ref,
        "encounter": {"reference": "urn:uuid:enc-1"},
        "performer": [clinician],
        "effectiveDateTime": "2020-01-01T10:00:00Z",
        "presentedForm": [{"contentType": "text/plain", "data": b64(m["presented form"])}],
    }
    observation = {
        "resourceType": "Observation",
        "id": "obs-1",
        "status": "final",
        "code": {
            "coding": [{"system": "http://loinc.org", "code": "8302-2", "display": "Body Height"}]
        },
        "subject": patient_ref,
        "encounter": {"reference": "urn:uuid:enc-1"},
        "valueString": m["narrative"],
        "note": [{"text": m["narrative"]}],
        "performer": [clinician],
    }
    entries = [patient, practitioner, encounter, report, observation]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in entries],
    }


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    tmp_path = tmp_path_factory.mktemp("removal")
    settings = make_settings(tmp_path / "home")
    source = tmp_path / f"{MARKERS['official name']}_{MARKERS['family name']}.json"
    source.write_text(json.dumps(bundle()))
    manifest = ingest_fhir(settings, [source], "crafted", actor="test-admin")
    return settings.lake_path, manifest


@pytest.mark.parametrize("field", sorted(MARKERS))
def test_field_is_removed(ingested: tuple[Path, dict[str, Any]], field: str) -> None:
    lake, _manifest = ingested
    marker = MARKERS[field]
    blob = "\n".join(lake_strings(lake))
    assert marker not in blob
    assert b64(marker) not in blob


def test_file_name_is_removed(ingested: tuple[Path, dict[str, Any]]) -> None:
    lake, _manifest = ingested
    assert f"{MARKERS['official name']}_{MARKERS['family name']}" not in "\n".join(
        lake_strings(lake)
    )


def test_what_is_kept(ingested: tuple[Path, dict[str, Any]]) -> None:
    lake, manifest = ingested
    path = lake / "snapshots" / manifest["id"] / "patient.parquet"
    row = (
        duckdb.connect()
        .execute(
            f"SELECT birth_year_month, death_year_month, deceased, region, country FROM '{path}'"
        )
        .fetchone()
    )
    assert row == ("1984-07", "2019-03", True, "Kent", "GB")
    assert manifest["unmodelled"] == {"Practitioner": 1}
