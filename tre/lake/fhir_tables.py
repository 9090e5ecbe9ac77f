"""The lake's FHIR tables: an allow-list of columns per modelled resource type.

Only the columns listed here reach the lake; everything else in a resource (names, telecom,
addresses below region, identifiers, narrative, attachments, reference displays, clinicians)
is dropped by construction. Each column is a DuckDB SQL expression over `r`, the resource
parsed with `from_json(res, structure)` (so each resource is parsed once), plus the macros
defined by `tre.lake.fhir.install_macros` (`fhir_ts`, `year_month`, `lake_ref`, `lake_person`).

Dates of birth and death become 'YYYY-MM' strings (or 'YYYY' when the source gives a year
only), never a full date. Clinical dates stay as UTC timestamps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

V = "VARCHAR"
CODING = {"system": V, "code": V, "display": V}
CONCEPT = {"coding": [CODING]}
# A concept of which only the code is kept: parsing system and display too cost time.
CODE_ONLY = {"coding": [{"code": V}]}
REF = {"reference": V}
PERIOD = {"start": V, "end": V}

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"


@dataclass(frozen=True)
class Column:
    name: str
    sql: str
    type: str
    description: str
    role: str = "attribute"  # person_id | pseudonym | attribute


@dataclass(frozen=True)
class FhirTable:
    resource_type: str
    table: str
    structure: dict[str, Any]
    columns: tuple[Column, ...]
    subject_field: str | None  # JSON field holding the patient reference; None for Patient
    date_column: str | None  # column summarised as the table's date coverage
    unnest: str | None = None  # a list field: one row per element, bound as `c`

    @property
    def structure_json(self) -> str:
        return json.dumps(self.structure, separators=(",", ":"))


def _coded(prefix: str, path: str, what: str) -> tuple[Column, ...]:
    """system, code and display of the first coding of a CodeableConcept."""
    return (
        Column(f"{prefix}_system", f"{path}.coding[1].system", V, f"Code system of {what}."),
        Column(
            f"{prefix}_code" if prefix != "code" else "code",
            f"{path}.coding[1].code",
            V,
            f"Code of {what}.",
        ),
        Column(
            f"{prefix}_display",
            f"{path}.coding[1].display",
            V,
            f"Display text of the code of {what}.",
        ),
    )


def _own_id(table: str, resource_type: str) -> Column:
    return Column(
        f"{table}_id",
        f"lake_own('{resource_type}', r.id)",
        V,
        f"Keyed pseudonym of this {resource_type} (joins within the lake).",
        "pseudonym",
    )


def _person(field: str) -> Column:
    return Column(
        "person_id", f"lake_person(r.{field}.reference)", V, "Lake person pseudonym.", "person_id"
    )


def _link(name: str, resource_type: str, path: str) -> Column:
    return Column(
        name,
        f"lake_ref('{resource_type}', {path})",
        V,
        f"Keyed pseudonym of the related {resource_type}.",
        "pseudonym",
    )


TS = "TIMESTAMPTZ"
ENC = _link("encounter_id", "Encounter", "r.encounter.reference")

# Clinical and verification status, shared by Condition and AllergyIntolerance.
STATUS_FIELDS = {"clinicalStatus": CODE_ONLY, "verificationStatus": CODE_ONLY}
STATUS_COLUMNS = (
    Column("clinical_status", "r.clinicalStatus.coding[1].code", V, "Clinical status."),
    Column("verification_status", "r.verificationStatus.coding[1].code", V, "Verification status."),
)


def _ext(url: str) -> str:
    return f"list_filter(r.extension, lambda e: e.url = '{url}')[1]"


def _omb(url: str) -> str:
    return f"list_filter({_ext(url)}.extension, lambda e: e.url = 'ombCategory')[1].valueCoding"


PATIENT = FhirTable(
    "Patient",
    "patient",
    {
        "id": V,
        "gender": V,
        "birthDate": V,
        "deceasedDateTime": V,
        "deceasedBoolean": "BOOLEAN",
        "maritalStatus": CONCEPT,
        "address": [{"state": V, "country": V}],
        "communication": [{"language": CODE_ONLY}],
        "extension": [{"url": V, "valueCode": V, "extension": [{"url": V, "valueCoding": CODING}]}],
        "identifier": [{"system": V, "value": V}],
    },
    (
        Column(
            "person_id",
            "lake_hmac_prefixed('', r.id)",
            V,
            "Lake person pseudonym.",
            "person_id",
        ),
        Column("gender", "r.gender", V, "Administrative gender."),
        Column(
            "birth_year_month", "year_month(r.birthDate)", V, "Birth date generalised to 'YYYY-MM'."
        ),
        Column(
            "deceased",
            "coalesce(r.deceasedBoolean, false) OR r.deceasedDateTime IS NOT NULL",
            "BOOLEAN",
            "Whether the person has died.",
        ),
        Column(
            "death_year_month",
            "year_month(r.deceasedDateTime)",
            V,
            "Date of death generalised to 'YYYY-MM'.",
        ),
        *_coded("marital_status", "r.maritalStatus", "the marital status"),
        Column("race_code", f"{_omb(US_CORE + 'us-core-race')}.code", V, "US Core race code."),
        Column(
            "race_display",
            f"{_omb(US_CORE + 'us-core-race')}.display",
            V,
            "US Core race display text.",
        ),
        Column(
            "ethnicity_code",
            f"{_omb(US_CORE + 'us-core-ethnicity')}.code",
            V,
            "US Core ethnicity code.",
        ),
        Column(
            "ethnicity_display",
            f"{_omb(US_CORE + 'us-core-ethnicity')}.display",
            V,
            "US Core ethnicity display text.",
        ),
        Column(
            "birth_sex",
            f"{_ext(US_CORE + 'us-core-birthsex')}.valueCode",
            V,
            "Sex assigned at birth (US Core).",
        ),
        Column("region", "r.address[1].state", V, "Region (state or prefecture) of residence."),
        Column("country", "r.address[1].country", V, "Country of residence."),
        Column(
            "language_code",
            "r.communication[1].language.coding[1].code",
            V,
            "Preferred language code.",
        ),
    ),
    None,
    None,
)

ENCOUNTER = FhirTable(
    "Encounter",
    "encounter",
    {
        "id": V,
        "status": V,
        "class": CODING,
        "type": [CONCEPT],
        "subject": REF,
        "period": PERIOD,
        "reasonCode": [CONCEPT],
    },
    (
        _own_id("encounter", "Encounter"),
        _person("subject"),
        Column("status", "r.status", V, "Encounter status."),
        Column("class_code", "r.class.code", V, "Encounter class (e.g. AMB, IMP, EMER)."),
        *_coded("type", "r.type[1]", "the encounter type"),
        *_coded("reason", "r.reasonCode[1]", "the reason for the encounter"),
        Column("period_start", "fhir_ts(r.period.start)", TS, "Start of the encounter (UTC)."),
        Column("period_end", 'fhir_ts(r.period."end")', TS, "End of the encounter (UTC)."),
    ),
    "subject",
    "period_start",
)

CONDITION = FhirTable(
    "Condition",
    "condition",
    {
        "id": V,
        **STATUS_FIELDS,
        "category": [CODE_ONLY],
        "code": CONCEPT,
        "subject": REF,
        "encounter": REF,
        "onsetDateTime": V,
        "abatementDateTime": V,
        "recordedDate": V,
    },
    (
        _own_id("condition", "Condition"),
        _person("subject"),
        ENC,
        *STATUS_COLUMNS,
        Column("category_code", "r.category[1].coding[1].code", V, "Condition category."),
        *_coded("code", "r.code", "the condition"),
        Column("onset", "fhir_ts(r.onsetDateTime)", TS, "Onset (UTC)."),
        Column("abatement", "fhir_ts(r.abatementDateTime)", TS, "Abatement (UTC)."),
        Column("recorded", "fhir_ts(r.recordedDate)", TS, "When recorded (UTC)."),
    ),
    "subject",
    "onset",
)

OBSERVATION = FhirTable(
    "Observation",
    "observation",
    {
        "id": V,
        "status": V,
        "category": [CODE_ONLY],
        "code": CONCEPT,
        "subject": REF,
        "encounter": REF,
        "effectiveDateTime": V,
        "effectivePeriod": PERIOD,
        "issued": V,
        "valueQuantity": {"value": "DOUBLE", "unit": V},
        "valueInteger": "BIGINT",
        "valueCodeableConcept": CONCEPT,
        "valueBoolean": "BOOLEAN",
    },
    (
        _own_id("observation", "Observation"),
        _person("subject"),
        ENC,
        Column("status", "r.status", V, "Observation status."),
        Column("category_code", "r.category[1].coding[1].code", V, "Observation category."),
        *_coded("code", "r.code", "what was observed"),
        Column(
            "effective",
            "fhir_ts(coalesce(r.effectiveDateTime, r.effectivePeriod.start))",
            TS,
            "When the observation applies (UTC).",
        ),
        Column("issued", "fhir_ts(r.issued)", TS, "When the result was issued (UTC)."),
        Column(
            "value_number",
            "coalesce(r.valueQuantity.value, r.valueInteger::DOUBLE)",
            "DOUBLE",
            "Numeric value.",
        ),
        Column("value_unit", "r.valueQuantity.unit", V, "Unit of the numeric value."),
        *_coded("value", "r.valueCodeableConcept", "a coded value"),
        Column("value_boolean", "r.valueBoolean", "BOOLEAN", "Boolean value."),
    ),
    "subject",
    "effective",
)

OBSERVATION_COMPONENT = FhirTable(
    "Observation",
    "observation_component",
    {
        "id": V,
        "subject": REF,
        "encounter": REF,
        "effectiveDateTime": V,
        "effectivePeriod": PERIOD,
        "component": [
            {
                "code": CONCEPT,
                "valueQuantity": {"value": "DOUBLE", "unit": V},
                "valueCodeableConcept": CONCEPT,
            }
        ],
    },
    (
        Column(
            "observation_id",
            "lake_own('Observation', r.id)",
            V,
            "Keyed pseudonym of the observation this is part of.",
            "pseudonym",
        ),
        _person("subject"),
        ENC,
        *_coded("code", "c.code", "the component"),
        Column(
            "effective",
            "fhir_ts(coalesce(r.effectiveDateTime, r.effectivePeriod.start))",
            TS,
            "When the observation applies (UTC).",
        ),
        Column("value_number", "c.valueQuantity.value", "DOUBLE", "Numeric value."),
        Column("value_unit", "c.valueQuantity.unit", V, "Unit of the numeric value."),
        *_coded("value", "c.valueCodeableConcept", "a coded value"),
    ),
    "subject",
    "effective",
    unnest="component",
)

MEDICATION_REQUEST = FhirTable(
    "MedicationRequest",
    "medication_request",
    {
        "id": V,
        "status": V,
        "intent": V,
        "medicationCodeableConcept": CONCEPT,
        "subject": REF,
        "encounter": REF,
        "authoredOn": V,
        "reasonCode": [CONCEPT],
    },
    (
        _own_id("medication_request", "MedicationRequest"),
        _person("subject"),
        ENC,
        Column("status", "r.status", V, "Request status."),
        Column("intent", "r.intent", V, "Request intent."),
        *_coded("medication", "r.medicationCodeableConcept", "the medication"),
        Column("authored_on", "fhir_ts(r.authoredOn)", TS, "When the request was made (UTC)."),
        *_coded("reason", "r.reasonCode[1]", "the reason for the request"),
    ),
    "subject",
    "authored_on",
)

PROCEDURE = FhirTable(
    "Procedure",
    "procedure",
    {
        "id": V,
        "status": V,
        "code": CONCEPT,
        "subject": REF,
        "encounter": REF,
        "performedDateTime": V,
        "performedPeriod": PERIOD,
        "reasonCode": [CONCEPT],
    },
    (
        _own_id("procedure", "Procedure"),
        _person("subject"),
        ENC,
        Column("status", "r.status", V, "Procedure status."),
        *_coded("code", "r.code", "the procedure"),
        Column(
            "performed_start",
            "fhir_ts(coalesce(r.performedDateTime, r.performedPeriod.start))",
            TS,
            "Start of the procedure (UTC).",
        ),
        Column(
            "performed_end", 'fhir_ts(r.performedPeriod."end")', TS, "End of the procedure (UTC)."
        ),
        *_coded("reason", "r.reasonCode[1]", "the reason for the procedure"),
    ),
    "subject",
    "performed_start",
)

IMMUNIZATION = FhirTable(
    "Immunization",
    "immunization",
    {
        "id": V,
        "status": V,
        "vaccineCode": CONCEPT,
        "patient": REF,
        "encounter": REF,
        "occurrenceDateTime": V,
        "primarySource": "BOOLEAN",
    },
    (
        _own_id("immunization", "Immunization"),
        _person("patient"),
        ENC,
        Column("status", "r.status", V, "Immunization status."),
        *_coded("vaccine", "r.vaccineCode", "the vaccine"),
        Column("occurrence", "fhir_ts(r.occurrenceDateTime)", TS, "When given (UTC)."),
        Column(
            "primary_source", "r.primarySource", "BOOLEAN", "Recorded by the person who gave it."
        ),
    ),
    "patient",
    "occurrence",
)

ALLERGY = FhirTable(
    "AllergyIntolerance",
    "allergy_intolerance",
    {
        "id": V,
        **STATUS_FIELDS,
        "type": V,
        "category": [V],
        "criticality": V,
        "code": CONCEPT,
        "patient": REF,
        "encounter": REF,
        "onsetDateTime": V,
        "recordedDate": V,
    },
    (
        _own_id("allergy_intolerance", "AllergyIntolerance"),
        _person("patient"),
        ENC,
        *STATUS_COLUMNS,
        Column("type", "r.type", V, "Allergy or intolerance."),
        Column("category", "r.category[1]", V, "Category (food, medication, ...)."),
        Column("criticality", "r.criticality", V, "Criticality."),
        *_coded("code", "r.code", "the substance"),
        Column("onset", "fhir_ts(r.onsetDateTime)", TS, "Onset (UTC)."),
        Column("recorded", "fhir_ts(r.recordedDate)", TS, "When recorded (UTC)."),
    ),
    "patient",
    "recorded",
)

DIAGNOSTIC_REPORT = FhirTable(
    "DiagnosticReport",
    "diagnostic_report",
    {
        "id": V,
        "status": V,
        "category": [CODE_ONLY],
        "code": CONCEPT,
        "subject": REF,
        "encounter": REF,
        "effectiveDateTime": V,
        "effectivePeriod": PERIOD,
        "issued": V,
    },
    (
        _own_id("diagnostic_report", "DiagnosticReport"),
        _person("subject"),
        ENC,
        Column("status", "r.status", V, "Report status."),
        Column("category_code", "r.category[1].coding[1].code", V, "Report category."),
        *_coded("code", "r.code", "the report"),
        Column(
            "effective",
            "fhir_ts(coalesce(r.effectiveDateTime, r.effectivePeriod.start))",
            TS,
            "When the report applies (UTC).",
        ),
        Column("issued", "fhir_ts(r.issued)", TS, "When issued (UTC)."),
    ),
    "subject",
    "effective",
)

_MONEY = {"value": "DOUBLE", "currency": V}

CLAIM = FhirTable(
    "Claim",
    "claim",
    {
        "id": V,
        "status": V,
        "type": CODE_ONLY,
        "use": V,
        "patient": REF,
        "billablePeriod": PERIOD,
        "created": V,
        "total": _MONEY,
        "item": [{"encounter": [REF]}],
    },
    (
        _own_id("claim", "Claim"),
        _person("patient"),
        _link("encounter_id", "Encounter", "r.item[1].encounter[1].reference"),
        Column("status", "r.status", V, "Claim status."),
        Column("type_code", "r.type.coding[1].code", V, "Claim type."),
        Column("use", "r.use", V, "Claim, preauthorization or predetermination."),
        Column("billable_start", "fhir_ts(r.billablePeriod.start)", TS, "Billable from (UTC)."),
        Column("billable_end", 'fhir_ts(r.billablePeriod."end")', TS, "Billable to (UTC)."),
        Column("created", "fhir_ts(r.created)", TS, "When the claim was created (UTC)."),
        Column("total_value", "r.total.value", "DOUBLE", "Total claimed amount."),
        Column("currency", "r.total.currency", V, "Currency of the amounts."),
    ),
    "patient",
    "billable_start",
)

EOB = FhirTable(
    "ExplanationOfBenefit",
    "explanation_of_benefit",
    {
        "id": V,
        "status": V,
        "type": CODE_ONLY,
        "use": V,
        "patient": REF,
        "claim": REF,
        "billablePeriod": PERIOD,
        "created": V,
        "outcome": V,
        "total": [{"category": CODE_ONLY, "amount": _MONEY}],
        "payment": {"amount": _MONEY},
        "item": [{"encounter": [REF]}],
    },
    (
        _own_id("explanation_of_benefit", "ExplanationOfBenefit"),
        _person("patient"),
        _link("claim_id", "Claim", "r.claim.reference"),
        _link("encounter_id", "Encounter", "r.item[1].encounter[1].reference"),
        Column("status", "r.status", V, "Status."),
        Column("type_code", "r.type.coding[1].code", V, "Claim type."),
        Column("use", "r.use", V, "Claim, preauthorization or predetermination."),
        Column("outcome", "r.outcome", V, "Processing outcome."),
        Column("billable_start", "fhir_ts(r.billablePeriod.start)", TS, "Billable from (UTC)."),
        Column("billable_end", 'fhir_ts(r.billablePeriod."end")', TS, "Billable to (UTC)."),
        Column("created", "fhir_ts(r.created)", TS, "When created (UTC)."),
        Column(
            "total_category",
            "r.total[1].category.coding[1].code",
            V,
            "Category of the first total (e.g. submitted).",
        ),
        Column("total_value", "r.total[1].amount.value", "DOUBLE", "Amount of the first total."),
        Column("payment_value", "r.payment.amount.value", "DOUBLE", "Amount paid."),
        Column(
            "currency",
            "coalesce(r.total[1].amount.currency, r.payment.amount.currency)",
            V,
            "Currency of the amounts.",
        ),
    ),
    "patient",
    "billable_start",
)

TABLES: tuple[FhirTable, ...] = (
    PATIENT,
    ENCOUNTER,
    CONDITION,
    OBSERVATION,
    OBSERVATION_COMPONENT,
    MEDICATION_REQUEST,
    PROCEDURE,
    IMMUNIZATION,
    ALLERGY,
    DIAGNOSTIC_REPORT,
    CLAIM,
    EOB,
)
BY_TYPE = {t.resource_type: t for t in TABLES if t.unnest is None}

DESCRIPTIONS = {
    "patient": "One row per person: demographics, generalised birth and death month, region.",
    "encounter": "Contacts with care services: class, type, reason and period.",
    "condition": "Diagnoses and problems, coded, with onset and abatement.",
    "observation": "Measurements and findings (vital signs, laboratory results, surveys).",
    "observation_component": "Parts of multi-part observations (e.g. systolic and diastolic "
    "blood pressure), one row per part.",
    "medication_request": "Prescriptions and medication orders.",
    "procedure": "Procedures performed, coded, with their period.",
    "immunization": "Vaccinations given.",
    "allergy_intolerance": "Allergies and intolerances.",
    "diagnostic_report": "Diagnostic reports (codes and dates; report text removed).",
    "claim": "Claims for payment: type, billable period and total (costs).",
    "explanation_of_benefit": "Adjudicated claims: totals and payments (costs).",
}

# Fields that exist only in earlier FHIR versions (STU3/DSTU2); R4 renamed or removed them.
PRE_R4_FIELDS: dict[str, tuple[str, ...]] = {
    "Observation": ("context",),
    "Condition": ("context", "assertedDate"),
    "Procedure": ("context",),
    "DiagnosticReport": ("context", "codedDiagnosis"),
    "MedicationRequest": ("context",),
    "Immunization": ("notGiven", "date"),
    "AllergyIntolerance": ("assertedDate",),
    "Encounter": ("incomingReferral",),
    "Patient": ("animal",),
}
