"""How a lake table is declared from FHIR: columns as SQL over a parsed resource.

Each column is a DuckDB SQL expression over `r`, the resource parsed with
`from_json(res, structure)` (each resource is parsed once), over the columns the reader
adds to every resource (`rid`, the resource's identity: its id, or the uuid of its
`urn:uuid:` fullUrl in a Bundle; `subject_ref`, the reference to its patient, its own or its
document's; `doc_key`, the identity of the document it belongs to; `doc_author_prefecture`),
and over the macros of `tre.lake.fhir.prepare` (`fhir_ts`, `year_month`, `lake_ref`,
`lake_own`, `lake_person`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tre.sql import literal

V = "VARCHAR"
TS = "TIMESTAMPTZ"
CODING = {"system": V, "code": V, "display": V}
CONCEPT = {"coding": [CODING]}
# A concept of which only the code is kept: parsing system and display too cost time.
CODE_ONLY = {"coding": [{"code": V}]}
REF = {"reference": V}
PERIOD = {"start": V, "end": V}
QUANTITY = {"value": "DOUBLE", "unit": V}


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
    one_row_per_person: bool = False  # repeated rows of a person are merged into one

    @property
    def structure_json(self) -> str:
        return json.dumps(self.structure, separators=(",", ":"))

    @property
    def text_columns(self) -> list[str]:
        """Columns of human-readable text (code displays), which the text sweep reads."""
        return [c.name for c in self.columns if c.name.endswith("_display")]


def coded(prefix: str, path: str, what: str) -> tuple[Column, ...]:
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


def code_in(name: str, path: str, systems: tuple[str, ...], description: str) -> Column:
    """The code of the first coding of concept `path` whose system is one of `systems` (the
    same code system under its URL and OID names, as sources use either)."""
    wanted = ", ".join(literal(s) for s in systems)
    return Column(
        name,
        f"list_filter({path}.coding, lambda x: x.system IN ({wanted}))[1].code",
        V,
        description,
    )


def own_id(table: str, resource_type: str) -> Column:
    return Column(
        f"{table}_id",
        f"lake_own('{resource_type}', rid)",
        V,
        f"Keyed pseudonym of this {resource_type} (joins within the lake).",
        "pseudonym",
    )


def person(field: str) -> Column:
    """The person pseudonym, from `field`'s reference (or, in a document, the document's)."""
    del field  # the reader resolves every type's subject field into `subject_ref`
    return Column("person_id", "lake_person(subject_ref)", V, "Lake person pseudonym.", "person_id")


def link(name: str, resource_type: str, path: str) -> Column:
    return Column(
        name,
        f"lake_ref('{resource_type}', {path})",
        V,
        f"Keyed pseudonym of the related {resource_type}.",
        "pseudonym",
    )


def document() -> Column:
    return Column(
        "document_id",
        "lake_own('Composition', doc_key)",
        V,
        "Keyed pseudonym of the document this record came in (see table document).",
        "pseudonym",
    )


ENC = link("encounter_id", "Encounter", "r.encounter.reference")
