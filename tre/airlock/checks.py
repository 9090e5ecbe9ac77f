"""The automated disclosure checks of request files, as the airlock runs them.

`run` checks one stored file with `tre.sdc.check_file`, with the project's person
identifiers and earlier releases as context; when the table has a provenance sidecar
(`<file>.tre.json`, written by `tre.client`), its query is first re-executed on the
project's extract (`tre.sdc.provenance.verify`) and the verified figures are checked.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tre.airlock import facts, release
from tre.airlock.intake import IntakeRefused, intake_file
from tre.airlock.store import ContentStore
from tre.config import Settings
from tre.db.airlock_models import AirlockRequest
from tre.errors import NotFound
from tre.sdc import provenance
from tre.sdc.check import CheckContext, check_file
from tre.sdc.filetype import SIDECAR_SUFFIX


def outputs_dir(settings: Settings, project_id: str) -> Path:
    return settings.workspaces_path / project_id / "outputs"


def check_context(settings: Settings, session: Session, project_id: str) -> CheckContext:
    ids = facts.person_ids(settings, project_id)
    manifests = []
    for other in session.execute(
        select(AirlockRequest).where(
            AirlockRequest.project_id == project_id, AirlockRequest.status == "released"
        )
    ).scalars():
        try:
            manifests.append(release.read_manifest(settings.airlock_path, other.id))
        except NotFound:
            continue
    return CheckContext(
        person_ids=ids,
        n_persons=len(ids) if ids is not None else None,
        earlier_releases=facts.earlier_release_tables(settings, manifests),
    )


def run(
    settings: Settings,
    project_id: str,
    store: ContentStore,
    digest: str,
    name: str,
    params: Any,
    context: CheckContext,
    sidecar: str | None = None,
) -> dict[str, Any]:
    """Run the disclosure checks on a stored file; with a provenance sidecar, first re-run
    its query on the extract and check the verified figures."""
    ctx = replace(context, filename=name)
    verification = None
    if sidecar is not None:
        catalog = settings.extracts_path / project_id / "current" / "catalog.duckdb"
        if catalog.is_file():
            verification = provenance.verify(
                store.path(digest),
                store.path(sidecar),
                catalog,
                person_ids=context.person_ids,
            )
            ctx = verification.context(ctx)
    report = check_file(store.path(digest), params, ctx)
    if verification is not None:
        report.findings += verification.findings
        report.provenance = verification.status
    elif sidecar is not None:
        report.provenance = "unverified"
    result = report.to_dict() | {"path": name}
    if sidecar is not None:
        result["sidecar"] = {"sha256": sidecar, "sql": sidecar_sql(store, sidecar)}
    return result


def sidecar_document(store: ContentStore, digest: str) -> dict[str, Any]:
    """A stored provenance sidecar as JSON ({} when it is not a JSON object)."""
    try:
        with store.open(digest) as fh:
            document = json.loads(fh.read(16 << 20))
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def sidecar_sql(store: ContentStore, digest: str) -> str:
    sql = sidecar_document(store, digest).get("sql")
    return sql[:20_000] if isinstance(sql, str) else ""


def intake_sidecar(
    settings: Settings, project_id: str, store: ContentStore, path: str
) -> str | None:
    """The provenance sidecar beside a table in outputs/, if there is one (`path` as the
    table is named there)."""
    try:
        return intake_file(
            outputs_dir(settings, project_id),
            f"{path}{SIDECAR_SUFFIX}",
            store,
            provenance_sidecar=True,
        ).sha256
    except IntakeRefused as exc:
        if exc.code == "missing":
            return None
        raise
