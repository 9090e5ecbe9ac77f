"""Provision and refresh a project's extract: governance + lake + builder + layout.

`provision(settings, project_id, actor)`:
1. asks the policy (`project.provision`): only an admin, only for an approved project whose
   permit is in force (not revoked, today within its dates), only granted data;
2. pins the lake: the latest snapshot of each granted dataset's source, read once;
3. builds under `builds/.tmp-<build_id>` (holding the project lock), with the project's
   secret, the opt-outs as they are now and the permit's cohort filter;
4. records the build and its lake persons in the control database, with an audit event,
   in one transaction, then renames the build into place and switches `current`;
5. deletes builds nothing uses (`layout.collect_garbage`).
An interruption at any point leaves the previous extract as it was; rerunning is safe
(leftovers of the interrupted build are collected first). `refresh` is the same for a
project that was provisioned before (after an opt-out or a permit change).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from tre import audit, policy
from tre.config import Settings
from tre.db import session_scope
from tre.db.models import Project, ProjectStatus, utcnow
from tre.errors import UserError
from tre.extract import layout
from tre.extract.builder import (
    BuildSpec,
    Progress,
    SourceColumn,
    SourceDataset,
    build_extract,
    check_cohort_filter,
)
from tre.extract.records import ExtractBuild, record_persons
from tre.i18n import _
from tre.lake.snapshots import file_sha256
from tre.projects import get_project, policy_input


def lake_datasets(settings: Settings) -> list[SourceDataset]:
    """The lake catalogue's datasets (latest snapshot of each source), as builder input."""
    from tre.lake.catalog import load_catalog

    catalog: Any = load_catalog(settings)
    return [
        SourceDataset(
            name=d.name,
            source=d.source,
            table=d.table,
            snapshot_id=d.snapshot_id,
            path=d.path,
            columns=[
                SourceColumn(c.name, str(c.type), c.description or "", c.role) for c in d.columns
            ],
            description=str(getattr(d, "description", "") or ""),
            tier=str(getattr(d, "tier", "") or ""),
            persons_file=getattr(d, "persons_file", None),
        )
        for d in catalog.datasets
    ]


def checked_cohort_filter(settings: Settings, grant: dict[str, list[str]], predicate: str) -> str:
    """`predicate` as builds of a permit granting `grant` will run it, checked against the
    lake catalogue now (the build checks it again: the catalogue may change)."""
    return check_cohort_filter(lake_datasets(settings), grant, predicate)


def _opted_out(settings: Settings) -> tuple[set[str], datetime]:
    from tre.lake.optout import opted_out_as_of

    return opted_out_as_of(settings)


def provision(
    settings: Settings, project_id: str, actor: str, progress: Progress | None = None
) -> dict[str, Any]:
    """Build and publish the project's extract; return a summary (no record values)."""
    return _build(settings, project_id, actor, progress, refresh=False)


def refresh(
    settings: Settings, project_id: str, actor: str, progress: Progress | None = None
) -> dict[str, Any]:
    """Rebuild a provisioned project's extract (opt-outs, permit or lake changed)."""
    return _build(settings, project_id, actor, progress, refresh=True)


def _build(
    settings: Settings, project_id: str, actor: str, progress: Progress | None, refresh: bool
) -> dict[str, Any]:
    layout.project_dir(settings, project_id)  # validates the id before any query
    with session_scope(settings) as session:
        project = get_project(session, project_id)
        permit = project.permit
        if refresh and layout.current_build(settings, project_id) is None:
            raise UserError(
                _("Project {project} has no extract to refresh.").format(project=project_id),
                hint=_("Run `tre project provision {project}` first.").format(project=project_id),
            )
        grant = {k: list(v) for k, v in (permit.grant if permit else {}).items()}
        _require_provision(settings, session, actor, project_id, grant)
        assert permit is not None  # the policy denies provisioning without a permit
        secret = bytes(project.pseudonym_secret)
        cohort = permit.cohort_filter
        permit_id = permit.id
    datasets = lake_datasets(settings)
    opted, optouts_as_of = _opted_out(settings)
    with layout.project_lock(settings, project_id):
        layout.collect_garbage(settings, project_id)
        build_id = layout.new_build_id()
        tmp = layout.builds_dir(settings, project_id) / f"{layout.TMP_PREFIX}{build_id}"
        try:
            spec = BuildSpec(project_id, datasets, grant, secret, opted, cohort, build_id)
            result = build_extract(spec, tmp, progress)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        manifest = result.manifest
        summary = _summary(manifest, permit_id, refresh)
        summary["optouts_as_of"] = optouts_as_of.isoformat(timespec="seconds")
        with session_scope(settings) as session:
            # The permit may have been revoked while the build ran: ask again before publishing.
            try:
                _require_provision(settings, session, actor, project_id, grant)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            session.add(
                ExtractBuild(
                    id=build_id,
                    project_id=project_id,
                    built_by=actor,
                    snapshots=manifest["snapshots"],
                    persons=manifest["persons"],
                    manifest_sha256=file_sha256(tmp / "manifest.json"),
                    optouts_as_of=optouts_as_of,
                )
            )
            session.flush()
            record_persons(session, build_id, result.persons)
            get_project(session, project_id).provisioned_at = utcnow()
            audit.record(
                session,
                actor=actor,
                action="project.refresh" if refresh else "project.provision",
                object_type="project",
                object_id=project_id,
                body={k: v for k, v in summary.items() if k != "path"},
            )
        path = layout.publish(settings, project_id, tmp, build_id)
        summary["removed_builds"] = layout.collect_garbage(settings, project_id)
    summary["path"] = str(path)
    return summary


def _require_provision(
    settings: Settings, session: Session, actor: str, project_id: str, grant: dict[str, list[str]]
) -> None:
    project = get_project(session, project_id)
    document = policy_input(session, actor, project, extract={"datasets": grant})
    policy.require(settings, "project.provision", document)


def delete_extract(settings: Settings, project_id: str, actor: str) -> dict[str, Any]:
    """Delete every build of a revoked project's extract (waiting for a running build).

    The control database keeps which lake persons its builds held, so transparency lookups
    still name the project; only the data goes.
    """
    layout.project_dir(settings, project_id)  # validates the id before any query
    with session_scope(settings) as session:
        project = get_project(session, project_id)
        policy.require(settings, "project.extract_delete", policy_input(session, actor, project))
    with layout.project_lock(settings, project_id, wait=True):
        removed = layout.remove_all(settings, project_id)
    _record_deletion(settings, actor, project_id, {"removed_builds": removed})
    return {"project": project_id, "removed_builds": removed}


def _record_deletion(settings: Settings, actor: str, project_id: str, body: dict[str, Any]) -> None:
    with session_scope(settings) as session:
        audit.record(
            session,
            actor=actor,
            action="project.extract_delete",
            object_type="project",
            object_id=project_id,
            body=body,
        )


OPERATOR = "tre-operator"


def delete_lapsed_extracts(settings: Settings, today: date | None = None) -> list[str]:
    """Delete the extracts of projects whose right to them has ended: revoked, or the
    permit expired (`today` past its last day); return those projects' ids.

    The hub's operator service runs this every round, so an expired permit's data goes
    without anyone acting, and a deletion that revoking could not finish is retried. A
    project being built is skipped (its build will be refused by the policy anyway); the
    next round takes it.
    """
    today = today or datetime.now(UTC).date()
    root = settings.extracts_path
    if not root.is_dir():
        return []
    on_disk = [
        entry.name
        for entry in sorted(root.iterdir())
        if layout.valid_project_id(entry.name)
        and any(layout.builds_dir(settings, entry.name).glob("*"))
    ]
    lapsed: dict[str, str] = {}
    with session_scope(settings) as session:
        for project_id in on_disk:
            project = session.get(Project, project_id)
            if project is None:
                continue  # not ours to judge: left for an admin
            permit = project.permit
            if project.status == ProjectStatus.REVOKED or (permit and permit.revoked_at):
                lapsed[project_id] = "revoked"
            elif permit is None:
                lapsed[project_id] = "no permit"
            elif permit.valid_to < today:
                lapsed[project_id] = "permit expired"
    deleted = []
    for project_id, why in lapsed.items():
        try:
            with layout.project_lock(settings, project_id):
                removed = layout.remove_all(settings, project_id)
        except layout.ExtractBusy:
            continue
        _record_deletion(settings, OPERATOR, project_id, {"removed_builds": removed, "why": why})
        deleted.append(project_id)
    return deleted


def _summary(manifest: dict[str, Any], permit_id: int, refresh: bool) -> dict[str, Any]:
    tables: Sequence[dict[str, Any]] = manifest["tables"]
    return {
        "project": manifest["project"],
        "build_id": manifest["build_id"],
        "refresh": refresh,
        "permit": permit_id,
        "snapshots": manifest["snapshots"],
        "persons": manifest["persons"],
        "tables": [
            {"name": t["name"], "rows": t["rows"], "persons": t["persons"], "sha256": t["sha256"]}
            for t in tables
        ],
    }
