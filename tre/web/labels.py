"""What people read for the portal's coded values (request states, project statuses,
purposes, severities, votes, tiers, roles): English labels, translated like any message.

The codes stay what the command line and the API print; the portal shows these labels.
Each kind is the label's gettext context (`msgctxt` in the catalogue).
"""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "state": {
        "draft": "Draft",
        "submitted": "Submitted",
        "in_review": "In review",
        "conflicted": "Reviews disagree",
        "reviewed": "Reviewed, awaiting a decision",
        "approved": "Approved",
        "released": "Released",
        "returned": "Returned for changes",
        "rejected": "Rejected",
        "withdrawn": "Withdrawn",
        "revoked": "Revoked",
    },
    "project": {
        "submitted": "Submitted",
        "returned": "Returned with questions",
        "approved": "Approved",
        "rejected": "Rejected",
        "revoked": "Revoked",
    },
    "purpose": {
        "public_health": "Public health and safety",
        "policy_making": "Policy making and regulation",
        "statistics": "Official statistics",
        "education": "Education and teaching",
        "scientific_research": "Scientific research",
        "care_improvement": "Improving care and services",
    },
    "severity": {
        "block": "Blocks release",
        "review": "Needs review",
        "info": "Note",
    },
    "provenance": {
        "verified": "Verified: every figure was re-computed on the extract",
        "differs": "Differs from the figures re-computed on the extract",
        "unverified": "Not verified: no provenance, or it could not be re-run",
    },
    "vote": {
        "approve": "Approve",
        "changes_requested": "Changes requested",
    },
    "file_review": {
        "pending": "Awaiting reviews",
        "approved": "Approved by its reviews",
        "changes_requested": "Changes requested by its reviews",
        "conflicted": "Reviews disagree",
    },
    "change": {
        "new": "New",
        "replaced": "Replaced",
        "unchanged": "Unchanged",
    },
    "event": {
        "create": "Created",
        "add_file": "File added",
        "remove_file": "File removed",
        "submit": "Submitted",
        "checks_done": "Automated checks done",
        "review": "Review recorded",
        "reviews_complete": "All reviews in",
        "reviews_disagree": "Reviews disagree",
        "resolve": "Vote changed after a discussion",
        "conflicts_resolved": "Disagreement settled",
        "override": "Override recorded",
        "approve": "Approved",
        "return": "Returned for changes",
        "reject": "Rejected",
        "release": "Released",
        "withdraw": "Withdrawn",
        "revoke": "Revoked",
    },
    "tier": {
        "standard": "Standard",
        "high": "High",
    },
    "role": {
        "lead": "Lead",
        "analyst": "Analyst",
        "output_checker": "Output checker",
        "admin": "Administrator",
        "approver": "Approver",
        "data_holder": "Data holder",
    },
    "lawful_basis": {
        "ehds_permit": "EU: a data permit under the European Health Data Space Regulation",
        "public_interest": "A task in the public interest (e.g. GDPR Articles 6(1)(e) and 9(2)(j))",
        "jp_next_generation_act": "Japan: the Next Generation Medical Infrastructure Act",
        "jp_academic_research": "Japan: the academic research exception of the Act on the "
        "Protection of Personal Information",
        "jp_public_health": "Japan: the public health exception of the Act on the Protection "
        "of Personal Information",
        "consent": "Consent of the persons concerned",
    },
    "decision": {
        "ask": "Questions to the applicant",
        "answer": "Answer and resubmission",
        "approve": "Approved",
        "reject": "Rejected",
        "revoke": "Revoked",
    },
    "stage": {
        "none": "No permit",
        "pending": "Not yet begun",
        "active": "In force",
        "ending": "Ending soon",
        "expired": "Expired",
        "revoked": "Revoked",
    },
    "job": {
        "queued": "Waiting",
        "running": "Running",
        "done": "Finished",
        "failed": "Failed",
    },
    "job_kind": {
        "provision": "Provisioning the extract",
        "refresh": "Rebuilding the extract",
        "revoke": "Revoking the permit",
        "audit_verify": "Verifying the audit log",
    },
}


def label_for(kind: str, code: str) -> str:
    """The English label of `code` (as stored) of `kind`, or the code itself when unknown."""
    return LABELS.get(kind, {}).get(code, code)
