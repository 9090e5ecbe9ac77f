"""The lake's FHIR tables: an allow-list of columns per modelled resource type.

Only the columns listed here reach the lake; everything else in a resource (names, telecom,
addresses below region, identifiers, narrative, attachments, reference displays, clinicians)
is dropped by construction.

The column model (`Column`, `FhirTable`) is in `tre.lake.fhir_model`; the tables of
documents and of the further JP Core resources in `tre.lake.fhir_tables_docs`.

Dates of birth and death become 'YYYY-MM' strings (or 'YYYY' when the source gives a year
only), never a full date. Clinical dates stay as UTC timestamps.
"""

from __future__ import annotations

from tre.lake.fhir_model import (
    CODE_ONLY,
    CODING,
    CONCEPT,
    ENC,
    PERIOD,
    QUANTITY,
    REF,
    TS,
    Column,
    FhirTable,
    V,
    code_in,
    coded,
    document,
    link,
    own_id,
    person,
)
from tre.lake.fhir_tables_docs import DOC_DESCRIPTIONS, DOC_TABLES

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"
# Japanese code systems, under each name (URL or OID) that sources use for them.
MEDIS_DISEASE = "http://medis.or.jp/CodeSystem/master-disease-keyNumber"
ICD10_SYSTEMS = (
    "http://jpfhir.jp/fhir/core/mhlw/CodeSystem/ICD10-2013-full",
    "http://www.mhlw.go.jp/toukei/sippei/2013/ICD10-JP",
    "http://hl7.org/fhir/sid/icd-10",
)
DIAGNOSIS_TYPE = "http://terminology.hl7.org/CodeSystem/ex-diagnosistype"
YJ_SYSTEMS = (
    "http://capstandard.jp/iyaku.info/CodeSystem/YJ-code",
    "urn:oid:1.2.392.100495.20.1.73",
    "urn:oid:1.2.392.100495.20.2.73",
    "http://jpfhir.jp/fhir/core/CodeSystem/JP_MedicationCodeYJ_CS",
)
HOT_SYSTEMS = (
    "http://medis.or.jp/CodeSystem/master-HOT9",
    "urn:oid:1.2.392.200119.4.403.1",
    "urn:oid:1.2.392.100495.20.2.74",
    "http://jpfhir.jp/fhir/core/CodeSystem/JP_MedicationCodeHOT9_CS",
    "http://medis.or.jp/CodeSystem/master-HOT7",
    "urn:oid:1.2.392.200119.4.403.2",
    "http://jpfhir.jp/fhir/core/CodeSystem/JP_MedicationCodeHOT7_CS",
    "http://medis.or.jp/CodeSystem/master-HOT13",
    "urn:oid:1.2.392.200119.4.402.1",
    "http://jpfhir.jp/fhir/core/CodeSystem/JP_MedicationCodeHOT13_CS",
)
GENERAL_NAME_SYSTEMS = (
    "http://jpfhir.jp/fhir/core/mhlw/CodeSystem/MedicationGeneralOrderCode",
    "urn:oid:1.2.392.100495.20.1.81",
    "http://jpfhir.jp/fhir/core/CodeSystem/JP_MedicationCodeCommon_CS",
)
CORE_LABO = "http://jpfhir.jp/fhir/clins/CodeSystem/JLAC10/JP_CLINS_ObsLabResult_CoreLabo_CS"
INFECTION_LABO = (
    "http://jpfhir.jp/fhir/clins/CodeSystem/JLAC10/JP_CLINS_ObsLabResult_InfectionLabo_CS"
)
JLAC10_SYSTEMS = (
    "http://medis.or.jp/CodeSystem/master-JLAC10-17digits",
    "urn:oid:1.2.392.200119.4.504",
    "http://jpfhir.jp/fhir/core/CodeSystem/JP_ObservationLabResultCode_CS",
    CORE_LABO,
    INFECTION_LABO,
)
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
            "lake_hmac_prefixed('', rid)",
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
        *coded("marital_status", "r.maritalStatus", "the marital status"),
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
    one_row_per_person=True,
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
        "hospitalization": {"admitSource": CODE_ONLY, "dischargeDisposition": CONCEPT},
    },
    (
        own_id("encounter", "Encounter"),
        person("subject"),
        document(),
        Column("status", "r.status", V, "Encounter status."),
        Column("class_code", "r.class.code", V, "Encounter class (e.g. AMB, IMP, EMER)."),
        *coded("type", "r.type[1]", "the encounter type"),
        *coded("reason", "r.reasonCode[1]", "the reason for the encounter"),
        Column("period_start", "fhir_ts(r.period.start)", TS, "Start of the encounter (UTC)."),
        Column("period_end", 'fhir_ts(r.period."end")', TS, "End of the encounter (UTC)."),
        Column(
            "admit_source_code",
            "r.hospitalization.admitSource.coding[1].code",
            V,
            "Where the patient was admitted from.",
        ),
        *coded(
            "discharge_disposition",
            "r.hospitalization.dischargeDisposition",
            "the discharge disposition",
        ),
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
        "extension": [{"url": V, "valueCodeableConcept": CONCEPT}],
    },
    (
        own_id("condition", "Condition"),
        person("subject"),
        ENC,
        document(),
        *STATUS_COLUMNS,
        Column("category_code", "r.category[1].coding[1].code", V, "Condition category."),
        *coded("code", "r.code", "the condition"),
        code_in(
            "medis_code",
            "r.code",
            (MEDIS_DISEASE,),
            "MEDIS standard disease master number (病名管理番号).",
        ),
        code_in("icd10_code", "r.code", ICD10_SYSTEMS, "ICD-10 code."),
        Column(
            "principal",
            f"coalesce(len(list_filter(r.extension, lambda e: len(list_filter("
            f"e.valueCodeableConcept.coding, lambda x: x.system = '{DIAGNOSIS_TYPE}' "
            "AND x.code = 'principal')) > 0)) > 0, false)",
            "BOOLEAN",
            "Whether this is the principal diagnosis (主病名).",
        ),
        Column(
            "suspected",
            "coalesce(r.verificationStatus.coding[1].code IN ('provisional', 'differential'), "
            "false)",
            "BOOLEAN",
            "Whether the diagnosis is suspected (疑い病名: provisional or differential).",
        ),
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
        "interpretation": [CODE_ONLY],
        "referenceRange": [{"low": QUANTITY, "high": QUANTITY}],
    },
    (
        own_id("observation", "Observation"),
        person("subject"),
        ENC,
        document(),
        Column("status", "r.status", V, "Observation status."),
        Column("category_code", "r.category[1].coding[1].code", V, "Observation category."),
        *coded("code", "r.code", "what was observed"),
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
        *coded("value", "r.valueCodeableConcept", "a coded value"),
        Column("value_boolean", "r.valueBoolean", "BOOLEAN", "Boolean value."),
        code_in("jlac10_code", "r.code", JLAC10_SYSTEMS, "JLAC10 laboratory test code."),
        Column(
            "lab_item_set",
            f"CASE WHEN list_contains(list_transform(r.code.coding, lambda x: x.system), "
            f"'{INFECTION_LABO}') THEN 'infection' "
            f"WHEN list_contains(list_transform(r.code.coding, lambda x: x.system), "
            f"'{CORE_LABO}') THEN 'core' END",
            V,
            "JP-CLINS item set of a laboratory result: infection (感染症) or core (検査).",
        ),
        Column(
            "interpretation_code",
            "r.interpretation[1].coding[1].code",
            V,
            "Interpretation (e.g. H, L, N).",
        ),
        Column("reference_low", "r.referenceRange[1].low.value", "DOUBLE", "Reference range low."),
        Column(
            "reference_high", "r.referenceRange[1].high.value", "DOUBLE", "Reference range high."
        ),
        Column(
            "reference_unit",
            "coalesce(r.referenceRange[1].low.unit, r.referenceRange[1].high.unit)",
            V,
            "Unit of the reference range.",
        ),
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
            "lake_own('Observation', rid)",
            V,
            "Keyed pseudonym of the observation this is part of.",
            "pseudonym",
        ),
        person("subject"),
        ENC,
        document(),
        *coded("code", "c.code", "the component"),
        Column(
            "effective",
            "fhir_ts(coalesce(r.effectiveDateTime, r.effectivePeriod.start))",
            TS,
            "When the observation applies (UTC).",
        ),
        Column("value_number", "c.valueQuantity.value", "DOUBLE", "Numeric value."),
        Column("value_unit", "c.valueQuantity.unit", V, "Unit of the numeric value."),
        *coded("value", "c.valueCodeableConcept", "a coded value"),
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
        "category": [CODE_ONLY],
        "dosageInstruction": [
            {
                "timing": {
                    "code": CONCEPT,
                    "repeat": {
                        "boundsDuration": QUANTITY,
                        "frequency": "BIGINT",
                        "period": "DOUBLE",
                        "periodUnit": V,
                    },
                },
                "asNeededBoolean": "BOOLEAN",
                "route": CODE_ONLY,
                "doseAndRate": [{"doseQuantity": QUANTITY}],
            }
        ],
        "dispenseRequest": {"quantity": QUANTITY, "expectedSupplyDuration": QUANTITY},
    },
    (
        own_id("medication_request", "MedicationRequest"),
        person("subject"),
        ENC,
        document(),
        Column("status", "r.status", V, "Request status."),
        Column("intent", "r.intent", V, "Request intent."),
        Column("category_code", "r.category[1].coding[1].code", V, "Prescription category."),
        *coded("medication", "r.medicationCodeableConcept", "the medication"),
        code_in("yj_code", "r.medicationCodeableConcept", YJ_SYSTEMS, "YJ code of the drug."),
        code_in("hot_code", "r.medicationCodeableConcept", HOT_SYSTEMS, "HOT code of the drug."),
        code_in(
            "generic_code",
            "r.medicationCodeableConcept",
            GENERAL_NAME_SYSTEMS,
            "Generic-name prescription code (一般名処方コード).",
        ),
        Column("authored_on", "fhir_ts(r.authoredOn)", TS, "When the request was made (UTC)."),
        *coded("reason", "r.reasonCode[1]", "the reason for the request"),
        *coded("usage", "r.dosageInstruction[1].timing.code", "the usage (用法)"),
        Column("route_code", "r.dosageInstruction[1].route.coding[1].code", V, "Route code."),
        Column(
            "dose_value",
            "r.dosageInstruction[1].doseAndRate[1].doseQuantity.value",
            "DOUBLE",
            "Dose per administration.",
        ),
        Column(
            "dose_unit",
            "r.dosageInstruction[1].doseAndRate[1].doseQuantity.unit",
            V,
            "Unit of the dose.",
        ),
        Column(
            "frequency",
            "r.dosageInstruction[1].timing.repeat.frequency",
            "BIGINT",
            "Administrations per period.",
        ),
        Column(
            "period",
            "r.dosageInstruction[1].timing.repeat.period",
            "DOUBLE",
            "Length of the period of the frequency.",
        ),
        Column(
            "period_unit",
            "r.dosageInstruction[1].timing.repeat.periodUnit",
            V,
            "Unit of that period (d, h, ...).",
        ),
        Column(
            "duration_days",
            "CASE WHEN r.dosageInstruction[1].timing.repeat.boundsDuration.unit IN ('d', '日') "
            "OR r.dispenseRequest.expectedSupplyDuration.unit IN ('d', '日') THEN coalesce("
            "r.dosageInstruction[1].timing.repeat.boundsDuration.value, "
            "r.dispenseRequest.expectedSupplyDuration.value) END",
            "DOUBLE",
            "Days the prescription covers.",
        ),
        Column(
            "as_needed",
            "r.dosageInstruction[1].asNeededBoolean",
            "BOOLEAN",
            "Taken as needed (頓用).",
        ),
        Column(
            "dispense_quantity",
            "r.dispenseRequest.quantity.value",
            "DOUBLE",
            "Total quantity to dispense.",
        ),
        Column("dispense_unit", "r.dispenseRequest.quantity.unit", V, "Unit of that quantity."),
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
        "bodySite": [CONCEPT],
    },
    (
        own_id("procedure", "Procedure"),
        person("subject"),
        ENC,
        document(),
        Column("status", "r.status", V, "Procedure status."),
        *coded("code", "r.code", "the procedure"),
        Column(
            "performed_start",
            "fhir_ts(coalesce(r.performedDateTime, r.performedPeriod.start))",
            TS,
            "Start of the procedure (UTC).",
        ),
        Column(
            "performed_end", 'fhir_ts(r.performedPeriod."end")', TS, "End of the procedure (UTC)."
        ),
        *coded("reason", "r.reasonCode[1]", "the reason for the procedure"),
        *coded("body_site", "r.bodySite[1]", "the body site"),
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
        own_id("immunization", "Immunization"),
        person("patient"),
        ENC,
        document(),
        Column("status", "r.status", V, "Immunization status."),
        *coded("vaccine", "r.vaccineCode", "the vaccine"),
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
        "reaction": [{"severity": V}],
    },
    (
        own_id("allergy_intolerance", "AllergyIntolerance"),
        person("patient"),
        ENC,
        document(),
        *STATUS_COLUMNS,
        Column("type", "r.type", V, "Allergy or intolerance."),
        Column("category", "r.category[1]", V, "Category (food, medication, ...)."),
        Column("criticality", "r.criticality", V, "Criticality."),
        *coded("code", "r.code", "the substance"),
        Column("onset", "fhir_ts(r.onsetDateTime)", TS, "Onset (UTC)."),
        Column("recorded", "fhir_ts(r.recordedDate)", TS, "When recorded (UTC)."),
        Column("reaction_severity", "r.reaction[1].severity", V, "Severity of the first reaction."),
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
        own_id("diagnostic_report", "DiagnosticReport"),
        person("subject"),
        ENC,
        document(),
        Column("status", "r.status", V, "Report status."),
        Column("category_code", "r.category[1].coding[1].code", V, "Report category."),
        *coded("code", "r.code", "the report"),
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
        own_id("claim", "Claim"),
        person("patient"),
        link("encounter_id", "Encounter", "r.item[1].encounter[1].reference"),
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
        own_id("explanation_of_benefit", "ExplanationOfBenefit"),
        person("patient"),
        link("claim_id", "Claim", "r.claim.reference"),
        link("encounter_id", "Encounter", "r.item[1].encounter[1].reference"),
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
    *DOC_TABLES,
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
    **DOC_DESCRIPTIONS,
}
# Types whose patient FHIR R4 makes mandatory: one without it is bad input. For the others
# (Encounter, Observation, DiagnosticReport, Specimen, Composition) a resource without a
# patient, outside a document, belongs to no person: it is counted, not ingested.
MANDATORY_SUBJECT = frozenset(
    {
        "Condition",
        "MedicationRequest",
        "Procedure",
        "Immunization",
        "AllergyIntolerance",
        "Claim",
        "ExplanationOfBenefit",
        "Coverage",
        "ImagingStudy",
    }
)

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
