"""Lake tables of clinical documents and of the resources JP Core adds to the six items:
document (Composition), coverage, specimen, imaging_study.

A document's author organisation is kept only as its prefecture (`author_prefecture`, from
the organisation's JP Core prefecture extension, or the first two digits of its 10-digit
医療機関番号): the institution number itself names a clinic and is removed with the rest.
The insurance identity of a Coverage (記号, 番号, 枝番, 保険者番号) is never a column; it can
only become the person's linkage pseudonym (tre.lake.linkage).
"""

from __future__ import annotations

from tre.lake.fhir_model import (
    CODE_ONLY,
    CODING,
    CONCEPT,
    ENC,
    PERIOD,
    REF,
    TS,
    Column,
    FhirTable,
    V,
    coded,
    document,
    own_id,
    person,
)

DOCUMENT = FhirTable(
    "Composition",
    "document",
    {
        "id": V,
        "status": V,
        "type": CONCEPT,
        "category": [CODE_ONLY],
        "subject": REF,
        "encounter": REF,
        "date": V,
        "event": [{"period": PERIOD}],
        "section": [{"code": CODE_ONLY, "section": [{"code": CODE_ONLY}]}],
    },
    (
        Column(
            "document_id",
            "lake_own('Composition', coalesce(doc_key, rid))",
            V,
            "Keyed pseudonym of this document (joins its records in other tables).",
            "pseudonym",
        ),
        person("subject"),
        ENC,
        Column("status", "r.status", V, "Document status."),
        *coded("type", "r.type", "the document type"),
        Column("category_code", "r.category[1].coding[1].code", V, "Document category."),
        Column("date", "fhir_ts(r.date)", TS, "When the document was written (UTC)."),
        Column(
            "event_start",
            "fhir_ts(r.event[1].period.start)",
            TS,
            "Start of the period the document describes (UTC).",
        ),
        Column(
            "event_end",
            'fhir_ts(r.event[1].period."end")',
            TS,
            "End of the period the document describes (UTC).",
        ),
        Column(
            "author_prefecture",
            "doc_author_prefecture",
            V,
            "Prefecture of the authoring organisation (JIS X 0401 code, 01-47).",
        ),
        Column(
            "section_codes",
            "array_to_string(list_sort(list_distinct(list_concat("
            "list_transform(r.section, lambda s: s.code.coding[1].code), "
            "flatten(list_transform(r.section, lambda s: list_transform(s.section, "
            "lambda t: t.code.coding[1].code)))))), ',')",
            V,
            "Codes of the sections the document has, comma-separated.",
        ),
    ),
    "subject",
    "date",
)

COVERAGE = FhirTable(
    "Coverage",
    "coverage",
    {
        "id": V,
        "status": V,
        "type": CONCEPT,
        "relationship": CODE_ONLY,
        "beneficiary": REF,
        "period": PERIOD,
    },
    (
        own_id("coverage", "Coverage"),
        person("beneficiary"),
        document(),
        Column("status", "r.status", V, "Coverage status."),
        *coded("type", "r.type", "the insurance type"),
        Column(
            "relationship_code",
            "r.relationship.coding[1].code",
            V,
            "Relationship of the beneficiary to the insured (e.g. 1 被保険者).",
        ),
        Column("period_start", "fhir_ts(r.period.start)", TS, "Coverage from (UTC)."),
        Column("period_end", 'fhir_ts(r.period."end")', TS, "Coverage to (UTC)."),
    ),
    "beneficiary",
    "period_start",
)

SPECIMEN = FhirTable(
    "Specimen",
    "specimen",
    {
        "id": V,
        "status": V,
        "type": CONCEPT,
        "subject": REF,
        "receivedTime": V,
        "collection": {"collectedDateTime": V, "bodySite": CONCEPT},
    },
    (
        own_id("specimen", "Specimen"),
        person("subject"),
        document(),
        Column("status", "r.status", V, "Specimen status."),
        *coded("type", "r.type", "the specimen type"),
        Column("collected", "fhir_ts(r.collection.collectedDateTime)", TS, "When collected (UTC)."),
        Column("received", "fhir_ts(r.receivedTime)", TS, "When received (UTC)."),
        *coded("body_site", "r.collection.bodySite", "the collection site"),
    ),
    "subject",
    "collected",
)

IMAGING_STUDY = FhirTable(
    "ImagingStudy",
    "imaging_study",
    {
        "id": V,
        "status": V,
        "modality": [CODING],
        "subject": REF,
        "encounter": REF,
        "started": V,
        "numberOfSeries": "BIGINT",
        "numberOfInstances": "BIGINT",
        "procedureCode": [CONCEPT],
        "series": [{"modality": CODING, "bodySite": CODING}],
    },
    (
        own_id("imaging_study", "ImagingStudy"),
        person("subject"),
        ENC,
        document(),
        Column("status", "r.status", V, "Imaging study status."),
        Column(
            "modality_code",
            "coalesce(r.modality[1].code, r.series[1].modality.code)",
            V,
            "Modality (DICOM code, e.g. CT, MR).",
        ),
        Column("body_site_code", "r.series[1].bodySite.code", V, "Body site of the first series."),
        Column(
            "body_site_display",
            "r.series[1].bodySite.display",
            V,
            "Display text of the body site of the first series.",
        ),
        *coded("procedure", "r.procedureCode[1]", "the imaging procedure"),
        Column("started", "fhir_ts(r.started)", TS, "When the study started (UTC)."),
        Column("series_count", "r.numberOfSeries", "BIGINT", "Number of series."),
        Column("instance_count", "r.numberOfInstances", "BIGINT", "Number of images (instances)."),
    ),
    "subject",
    "started",
)

DOC_TABLES = (DOCUMENT, COVERAGE, SPECIMEN, IMAGING_STUDY)
DOC_DESCRIPTIONS = {
    "document": "Clinical documents (referrals, discharge summaries, check-up reports): type, "
    "date, the author's prefecture and the sections present; text removed.",
    "coverage": "Health insurance coverage: type, relationship and period (insurance numbers "
    "removed).",
    "specimen": "Specimens: type, collection time and site.",
    "imaging_study": "Imaging study metadata: modality, body site, procedure, counts (no images).",
}
