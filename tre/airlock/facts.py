"""What the airlock tells the policy and the disclosure checks, read from the database and
from the project's extract and earlier releases."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from tre import policy, projects
from tre.airlock import reviews
from tre.config import Settings
from tre.db.airlock_models import AirlockRequest, FileVote, RequestFile
from tre.sdc.params import SdcParams
from tre.sdc.rowlevel import PERSON_LEVEL_RULES
from tre.sql import literal


def request_document(
    req: AirlockRequest, required: int, votes: Iterable[FileVote] | None = None
) -> dict[str, Any]:
    """The request as the policy sees it, from `votes` (default: all of them; a blind
    reader's page passes only what they may see): each reviewer's vote on the whole round,
    and each file's review (`tre.airlock.reviews`)."""
    cast = list(req.votes if votes is None else votes)
    paths = {f.path for f in req.files}
    per_reviewer: dict[str, dict[str, str]] = {}
    for v in cast:
        if v.round == req.round:
            per_reviewer.setdefault(v.reviewer, {})[v.path] = v.vote
    summary = [
        {
            "reviewer": reviewer,
            "vote": "approve"
            if set(files) >= paths and all(x == "approve" for x in files.values())
            else "changes_requested",
        }
        for reviewer, files in sorted(per_reviewer.items())
    ]
    blocked = {f.path for f in req.files if f.verdict == "block"}
    file_reviews = [
        {**review, "blocked": review["path"] in blocked}
        for review in reviews.file_reviews(req, cast, required).values()
    ]
    return {
        "id": req.id,
        "author": req.author,
        "status": req.status,
        "round": req.round,
        "votes": summary,
        "file_reviews": file_reviews,
        "blocking_findings": len(blocked),
        "override": req.override_reason is not None,
        "files": len(req.files),
    }


def file_document(row: RequestFile | None, path: str) -> dict[str, Any]:
    """A request file as the policy sees it (`airlock.read_file`): its path, and whether its
    checks found person-level data. A file the request does not have is described by the
    path asked for, so the decision does not tell an outsider which files exist."""
    findings = (row.report or {}).get("findings", []) if row is not None else []
    person_level = any(
        f.get("severity") == "block" and f.get("rule") in PERSON_LEVEL_RULES for f in findings
    )
    return {"path": path, "person_level": person_level}


def policy_input(
    session: Session,
    settings: Settings,
    actor: str,
    project_id: str,
    req: AirlockRequest | None = None,
    votes: Iterable[FileVote] | None = None,
) -> dict[str, Any]:
    """Actor, project, permit and (when given) the request as `votes` show it, in the
    policy's input shape."""
    project = projects.get_project(session, project_id)
    extra: dict[str, Any] = {}
    if req is not None:
        required = policy.required_approvals(settings, project.tier)
        extra["request"] = request_document(req, required, votes)
    return projects.policy_input(session, actor, project, **extra)


def tier_limits(settings: Settings, tier: str) -> tuple[SdcParams, int]:
    """Disclosure-check parameters and required approvals for a sensitivity tier."""
    raw = policy.sdc_parameters(settings, tier)
    mapping = dict(raw)
    mapping["nk_n"] = raw.get("dominance_n", 2)
    mapping["nk_k"] = raw.get("dominance_k", 0.9)
    mapping.pop("dominance_n", None)
    mapping.pop("dominance_k", None)
    return SdcParams.from_mapping(mapping), policy.required_approvals(settings, tier)


def person_ids(settings: Settings, project_id: str) -> pa.Array | None:
    """Distinct person pseudonyms in the project's current extract (None when none)."""
    data = settings.extracts_path / project_id / "current" / "data"
    if not data.is_dir():
        return None
    files = []
    for path in sorted(data.glob("*.parquet")):
        try:
            if "person_id" in pq.read_schema(path).names:
                files.append(str(path))
        except (OSError, pa.ArrowException):
            continue
    if not files:
        return None
    con = duckdb.connect()
    try:
        listed = ", ".join(literal(f) for f in files)
        table = con.sql(
            "SELECT DISTINCT CAST(person_id AS VARCHAR) AS person_id"
            f" FROM read_parquet([{listed}], union_by_name=true) WHERE person_id IS NOT NULL"
        ).to_arrow_table()
    finally:
        con.close()
    return table.column("person_id").combine_chunks()


def earlier_release_tables(settings: Settings, manifests: list[dict[str, Any]]) -> list[Path]:
    """Table files of the project's earlier (unrevoked) releases, for differencing."""
    tables = []
    for manifest in manifests:
        root = settings.airlock_path / "releases" / manifest["request_id"] / "files"
        for entry in manifest["files"]:
            if str(entry["path"]).lower().endswith((".csv", ".tsv")):
                tables.append(root / entry["path"])
    return tables
