"""What a release's Five Safes RO-Crate says: the record of one released request, gathered
from the database and the audit log (`gather`), and its RO-Crate metadata (`metadata`).

The crate follows the Five Safes RO-Crate profile 0.4 (https://w3id.org/5s-crate/0.4) on
RO-Crate 1.2: the request is a `CreateAction` by its author; the automated disclosure check
and each output checker's review are `AssessAction`s (`shp:DisclosureCheck`), the approval an
`AssessAction` (`shp:SignOff`) under the airlock policy; the BagIt manifests an `UpdateAction`.

It carries no record values beyond the released files, and no free text a person wrote other
than the request's title and the file names (both public on the register): not the groups'
context and controls, not comments, not an override's reason. People appear as accounts:
the author by username (the profile requires the requesting agent); output checkers only as
"Output checker 1, 2, ..." (their accounts are in the audit log the actions point to), because
a crate travels with the outputs and checkers should not be named to those whose outputs
they judge.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from tre.db import AuditEvent, Project
from tre.db.airlock_models import AirlockRequest
from tre.sdc import acro_results
from tre.sdc.acro_results import STATUS

PROFILE = "https://w3id.org/5s-crate/0.4"
ROCRATE = "https://w3id.org/ro/crate/1.2"
CONTEXT = "https://w3id.org/ro/crate/1.2/context"
SHP = "https://w3id.org/shp#"
COMPLETED = "http://schema.org/CompletedActionStatus"
SHA512 = "https://www.iana.org/assignments/named-information#sha-512"
OUTPUTS = "outputs/"
RESULTS = "results.json"
CHECKSUMS = "checksums/"
MEDIA_TYPES = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "txt": "text/plain",
    "md": "text/markdown",
    "json": "application/json",
    "ipynb": "application/x-ipynb+json",
    "png": "image/png",
    "jpeg": "image/jpeg",
}


# The audit events an action of the crate names, by their number in the hash chain.
_LINKED_EVENTS = frozenset(
    f"airlock.{a}" for a in ("create", "checks_done", "approve", "release", "override")
)


@dataclass(frozen=True)
class CrateFile:
    path: str
    sha256: str
    size: int
    detected_type: str
    report: dict[str, Any]


@dataclass(frozen=True)
class Review:
    """One output checker's review in the request's last round, without their identity."""

    number: int
    approved: int
    changes: int
    at: str
    audit_seq: int | None


@dataclass(frozen=True)
class CrateRecord:
    request_id: str
    title: str
    project_id: str
    project_title: str
    organisation: str
    author: str
    created_at: str
    checked_at: str
    decided_at: str
    released_at: str
    round: int
    files: list[CrateFile]
    reviews: list[Review]
    decider_review: int | None  # the reviewer who also approved, if one did
    overridden: bool
    tre_name: str
    tool_version: str
    audit: dict[str, int] = field(default_factory=dict)
    external_identifier: str = field(default_factory=lambda: f"urn:uuid:{uuid.uuid4()}")

    @property
    def top(self) -> str:
        """The bag's folder in the ZIP archive, and the archive's name without `.zip`."""
        return f"{self.request_id}-five-safes-crate"


def _iso(value: datetime | str | None) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else value.isoformat()


def gather(session: Session, req: AirlockRequest, tre_name: str, tool_version: str) -> CrateRecord:
    """The record of `req` (released in this transaction, or before)."""
    project = session.get(Project, req.project_id)
    events = list(
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.object_type == "airlock_request", AuditEvent.object_id == req.id)
            .order_by(AuditEvent.seq)
        ).scalars()
    )
    last = {e.action: e for e in events}  # the latest event of each action
    reviews: list[Review] = []
    numbers: dict[str, int] = {}
    for event in events:
        if event.action != "airlock.review" or json.loads(event.body).get("round") != req.round:
            continue
        numbers[event.actor] = len(numbers) + 1
        votes = [v.vote for v in req.votes if v.round == req.round and v.reviewer == event.actor]
        reviews.append(
            Review(
                number=numbers[event.actor],
                approved=votes.count("approve"),
                changes=len(votes) - votes.count("approve"),
                at=event.at,
                audit_seq=event.seq,
            )
        )
    checked = last.get("airlock.checks_done")
    return CrateRecord(
        request_id=req.id,
        title=req.title,
        project_id=req.project_id,
        project_title=project.title if project else "",
        organisation=project.organisation if project else "",
        author=req.author,
        created_at=_iso(req.created_at),
        checked_at=checked.at if checked else _iso(req.submitted_at),
        decided_at=_iso(req.decided_at),
        released_at=_iso(req.released_at),
        round=req.round,
        files=[
            CrateFile(f.path, f.sha256, f.size, f.detected_type, dict(f.report or {}))
            for f in req.files
        ],
        reviews=reviews,
        decider_review=numbers.get(req.decided_by or ""),
        overridden=bool(req.override_reason),
        tre_name=tre_name,
        tool_version=tool_version,
        audit={
            action.removeprefix("airlock."): event.seq
            for action, event in last.items()
            if action in _LINKED_EVENTS
        },
    )


def acro_document(record: CrateRecord, files_dir: Path) -> dict[str, Any]:
    """The automated checks' results as ACRO's results.json, outputs named by their path in
    the crate; `files_dir` holds the released files (to read each table's columns)."""
    results = []
    for f in record.files:
        overridden = record.overridden and f.report.get("verdict") == "block"
        result = acro_results.output_result(
            OUTPUTS + f.path,
            f.report,
            timestamp=record.checked_at,
            command=f"tre airlock submit (automated checks of request {record.request_id})",
            columns=acro_results.table_columns(files_dir / f.path, f.path),
            exception="Released after an administrator recorded an override of the blocking "
            "findings; the reason is in the TRE's audit log."
            if overridden
            else "",
        )
        result["files"][0]["sha256"] = f.sha256
        results.append(result)
    return acro_results.results_document(results, record.tool_version)


def file_id(path: str) -> str:
    """A released file's @id: its path in the crate, as a relative URI."""
    return quote(OUTPUTS + path, safe="/")


def _ref(entity_id: str) -> dict[str, str]:
    return {"@id": entity_id}


def _audit(record: CrateRecord, action: str) -> dict[str, Any]:
    seq = record.audit.get(action)
    return {"identifier": f"tre-audit-event:{seq}"} if seq is not None else {}


def _check_name(record: CrateRecord) -> str:
    verdicts = [str(f.report.get("verdict", "review")) for f in record.files]
    counts = ", ".join(
        f"{verdicts.count(v)} {STATUS[v]}" for v in ("pass", "review", "block") if v in verdicts
    )
    text = f"Automated disclosure check of {len(verdicts)} files: {counts}"
    if "block" in verdicts and record.overridden:
        text += " (blocking findings overridden by an administrator)"
    return text


def metadata(record: CrateRecord) -> dict[str, Any]:
    """The crate's ro-crate-metadata.json."""
    files = [_ref(file_id(f.path)) for f in record.files]
    author = f"#user-{quote(record.author, safe='')}"
    project = f"#project-{quote(record.project_id, safe='')}"
    organisation = "#organisation"
    tre, checker, airlock = "#tre", "#tre-sdc", "#tre-airlock"
    actions: list[dict[str, Any]] = [
        {
            "@id": f"#request-{record.request_id}",
            "@type": "CreateAction",
            "name": f"Release request {record.request_id}: {record.title}",
            "agent": _ref(author),
            "instrument": _ref(airlock),
            "object": files,
            "result": files,
            "startTime": record.created_at,
            "endTime": record.released_at,
            "actionStatus": COMPLETED,
            **_audit(record, "create"),
        },
        {
            "@id": "#disclosure-check",
            "@type": "AssessAction",
            "additionalType": _ref(f"{SHP}DisclosureCheck"),
            "name": _check_name(record),
            "agent": _ref(checker),
            "object": [_ref("./"), *files],
            "result": _ref(RESULTS),
            "endTime": record.checked_at,
            "actionStatus": COMPLETED,
            **_audit(record, "checks_done"),
        },
    ]
    people: list[dict[str, Any]] = []
    for review in record.reviews:
        person = f"#output-checker-{review.number}"
        verdict = (
            f"approved all {review.approved} files"
            if not review.changes
            else f"approved {review.approved}, asked for changes to {review.changes} files"
        )
        actions.append(
            {
                "@id": f"#output-check-{review.number}",
                "@type": "AssessAction",
                "additionalType": _ref(f"{SHP}DisclosureCheck"),
                "name": f"Output check by output checker {review.number} "
                f"(round {record.round}): {verdict}",
                "agent": _ref(person),
                "object": [_ref("./"), *files],
                "endTime": review.at,
                "actionStatus": COMPLETED,
                "identifier": f"tre-audit-event:{review.audit_seq}",
            }
        )
        people.append(
            {
                "@id": person,
                "@type": "Person",
                "name": f"Output checker {review.number}",
                "description": f"An output checker of {record.tre_name}, independent of the "
                "project; the account is in the TRE's audit log.",
                "affiliation": _ref(tre),
            }
        )
    approver = f"#output-checker-{record.decider_review}" if record.decider_review else "#approver"
    if not record.decider_review:
        people.append(
            {
                "@id": approver,
                "@type": "Person",
                "name": "Approver",
                "description": f"An output checker or administrator of {record.tre_name}; "
                "the account is in the TRE's audit log.",
                "affiliation": _ref(tre),
            }
        )
    override = " after an administrator's override" if record.overridden else ""
    actions += [
        {
            "@id": "#sign-off",
            "@type": "AssessAction",
            "additionalType": _ref(f"{SHP}SignOff"),
            "name": f"Release approved under the airlock policy{override}: "
            f"{len(record.reviews)} independent output checks",
            "agent": _ref(approver),
            "instrument": _ref("#airlock-policy"),
            "object": [_ref("./"), _ref(OUTPUTS), _ref(project)],
            "endTime": record.decided_at,
            "actionStatus": COMPLETED,
            **_audit(record, "approve"),
        },
        {
            "@id": "#bagit",
            "@type": "UpdateAction",
            "additionalType": _ref(f"{SHP}GenerateCheckValue"),
            "name": "BagIt manifests of the crate written",
            "agent": _ref(airlock),
            "object": _ref("./"),
            "instrument": _ref(SHA512),
            "startTime": record.released_at,
            "actionStatus": COMPLETED,
        },
    ]
    entities: list[dict[str, Any]] = [
        {
            "@id": "ro-crate-metadata.json",
            "@type": "CreativeWork",
            "about": _ref("./"),
            "conformsTo": _ref(ROCRATE),
        },
        {
            "@id": "./",
            "@type": "Dataset",
            "conformsTo": _ref(PROFILE),
            "identifier": record.external_identifier,
            "name": record.title,
            "description": f"Outputs of project {record.project_id} released by "
            f"{record.tre_name} (request {record.request_id}) after automated disclosure "
            f"checks and {len(record.reviews)} independent output checks.",
            "datePublished": record.released_at,
            "publisher": _ref(tre),
            "license": _ref("#release-terms"),
            "sourceOrganization": _ref(project),
            "mainEntity": _ref(OUTPUTS),
            "hasPart": [_ref(OUTPUTS), _ref(RESULTS), _ref(CHECKSUMS)],
            "mentions": [_ref(a["@id"]) for a in actions],
        },
        {"@id": PROFILE, "@type": "Profile", "name": "Five Safes RO-Crate profile"},
        {
            "@id": OUTPUTS,
            "@type": "Dataset",
            "name": "Released outputs",
            "description": "The files as released, byte for byte (SHA-256 on the register).",
            "hasPart": files,
        },
        *(
            {
                "@id": file_id(f.path),
                "@type": "File",
                "name": f.path,
                "contentSize": str(f.size),
                "encodingFormat": MEDIA_TYPES.get(f.detected_type, "application/octet-stream"),
                "sha256": f.sha256,
            }
            for f in record.files
        ),
        {
            "@id": RESULTS,
            "@type": "File",
            "name": "Results of the automated disclosure checks (ACRO results.json)",
            "encodingFormat": "application/json",
        },
        {
            "@id": CHECKSUMS,
            "@type": "Dataset",
            "name": "SHA-256 of each output, as ACRO writes them for SACRO-Viewer",
        },
        *actions,
        {
            "@id": author,
            "@type": "Person",
            "name": record.author,
            "description": f"An account of {record.tre_name}.",
            "affiliation": _ref(organisation),
            "memberOf": _ref(project),
        },
        *people,
        {
            "@id": project,
            "@type": "Project",
            "name": record.project_title,
            "identifier": _ref("#project-id"),
            "member": _ref(organisation),
        },
        {
            "@id": "#project-id",
            "@type": "PropertyValue",
            "name": record.tre_name,
            "value": record.project_id,
        },
        {"@id": organisation, "@type": "Organization", "name": record.organisation},
        {"@id": tre, "@type": "Organization", "name": record.tre_name},
        {
            "@id": checker,
            "@type": "SoftwareApplication",
            "name": "tre.sdc automated disclosure checks",
            "version": record.tool_version,
            "provider": _ref(tre),
        },
        {
            "@id": airlock,
            "@type": "SoftwareApplication",
            "name": "tre airlock",
            "version": record.tool_version,
            "provider": _ref(tre),
        },
        {
            "@id": "#airlock-policy",
            "@type": "CreativeWork",
            "name": f"Airlock release policy of {record.tre_name}: independent output "
            "checks, no approval of blocking findings without a recorded override",
        },
        {
            "@id": "#release-terms",
            "@type": "CreativeWork",
            "name": f"Conditions of the data access permit of project {record.project_id}",
            "description": "The outputs are released to the project's members; the project's "
            "data access permit governs their use.",
        },
        {"@id": SHA512, "@type": "DefinedTerm", "name": "sha-512 algorithm"},
    ]
    return {"@context": CONTEXT, "@graph": entities}


__all__ = [
    "CrateFile",
    "CrateRecord",
    "Review",
    "acro_document",
    "file_id",
    "gather",
    "metadata",
]
