"""Drafting a release request: create it, group its files with their context and
controls, add and remove files.

Files enter a request only through `intake.intake_file` (a content-addressed copy; a
table's provenance sidecar is taken in beside it, never as a file of its own) and are
checked by `tre.sdc` as soon as they are added, so the author sees the findings before
submitting. A request knows each file by its name's normal form and holds no two names that
look alike (`tre.airlock.names`); adding a file under a name it already has replaces it.
Adding is all or nothing: one refused file leaves the request as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tre import policy
from tre.airlock import checks, facts, names
from tre.airlock.checks import outputs_dir
from tre.airlock.intake import IntakeRefused, check_relative_path, intake_file
from tre.airlock.transitions import audit_event, content_store, load, now, require_editable
from tre.config import Settings
from tre.db import Project, session_scope
from tre.db.airlock_models import AirlockRequest, FileGroup, RequestFile
from tre.errors import InputError, NotFound
from tre.i18n import _

DEFAULT_GROUP = "main"


def create(
    settings: Settings,
    actor: str,
    project_id: str,
    title: str,
    paths: list[str] | None = None,
    group: str = DEFAULT_GROUP,
    context: str | None = None,
    controls: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Create a draft, optionally with files and a group's context and controls, in one
    transaction: a refused file leaves no draft behind."""
    title = title.strip()
    if not title:
        raise InputError(_("A release request needs a title."), hint=_("Say what the files show."))
    with session_scope(settings) as session:
        doc = facts.policy_input(session, settings, actor, project_id)
        doc["request"] = {"status": "draft", "author": actor, "votes": []}
        policy.require(settings, "airlock.submit", doc)
        number = (session.execute(select(func.max(AirlockRequest.number))).scalar() or 0) + 1
        req = AirlockRequest(
            id=f"r-{number}", number=number, project_id=project_id, author=actor, title=title
        )
        session.add(req)
        session.flush()
        audit_event(session, actor, "create", req)
        if paths:
            _add(session, settings, actor, req, paths, group, progress)
        if context is not None or controls is not None:
            grp = _group(session, req, group.strip() or DEFAULT_GROUP)
            grp.context, grp.controls = (context or "").strip(), (controls or "").strip()
        return {"id": req.id, "status": req.status}


def _group(session: Session, req: AirlockRequest, name: str) -> FileGroup:
    for group in req.groups:
        if group.name == name:
            return group
    group = FileGroup(request=req, name=name)
    session.add(group)
    session.flush()
    return group


def set_group(
    settings: Settings,
    actor: str,
    request_id: str,
    name: str,
    context: str | None = None,
    controls: str | None = None,
) -> dict[str, Any]:
    """Create a group or set its context (what the files show) and controls (how they were
    made safe)."""
    with session_scope(settings) as session:
        req = load(session, request_id)
        require_editable(session, settings, actor, req)
        group = _group(session, req, name.strip() or DEFAULT_GROUP)
        if context is not None:
            group.context = context.strip()
        if controls is not None:
            group.controls = controls.strip()
        audit_event(session, actor, "group", req, group=group.name)
        return {"name": group.name, "context": group.context, "controls": group.controls}


def add_files(
    settings: Settings,
    actor: str,
    request_id: str,
    paths: list[str],
    group: str = DEFAULT_GROUP,
    progress: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Copy files from outputs/ into the store, check them, and add them to a draft.

    All or nothing: one refused file leaves the request as it was. `progress` is called
    with each path once it has been copied and checked.
    """
    with session_scope(settings) as session:
        req = load(session, request_id)
        require_editable(session, settings, actor, req)
        return _add(session, settings, actor, req, paths, group, progress)


def _add(
    session: Session,
    settings: Settings,
    actor: str,
    req: AirlockRequest,
    paths: list[str],
    group: str,
    progress: Callable[[str], None] | None,
) -> list[dict[str, Any]]:
    project = session.get(Project, req.project_id)
    params, _required = facts.tier_limits(settings, project.tier if project else "standard")
    store = content_store(settings)
    grp = _group(session, req, group.strip() or DEFAULT_GROUP)
    _check_names(req, paths)
    context = checks.check_context(settings, session, req.project_id)
    added = []
    for path in paths:
        stored = intake_file(
            outputs_dir(settings, req.project_id),
            path,
            store,
            max_bytes=params.max_file_bytes,
            allowed_types=params.allowed_types,
        )
        sidecar = None
        if stored.detected_type in ("csv", "tsv"):
            sidecar = checks.intake_sidecar(settings, req.project_id, store, path)
        # The request's other tables: a total in one file can recover a cell of another.
        companions = [
            store.path(f.sha256)
            for f in req.files
            if f.path != stored.path and f.detected_type in ("csv", "tsv")
        ]
        report = checks.run(
            settings, req.project_id, store, stored.sha256, stored.path, params,
            replace(context, companions=companions), sidecar,
        )  # fmt: skip
        existing = next((f for f in req.files if f.path == stored.path), None)
        row = existing or RequestFile(request=req, path=stored.path)
        row.group_id, row.sha256, row.size = grp.id, stored.sha256, stored.size
        row.detected_type, row.rows, row.added_at = stored.detected_type, stored.rows, now()
        row.report, row.verdict = report, report["verdict"]
        session.add(row)
        audit_event(
            session, actor, "add_file", req, path=row.path, sha256=row.sha256,
            size=row.size, verdict=row.verdict,
        )  # fmt: skip
        added.append(file_summary(row))
        if progress is not None:
            progress(row.path)
    return added


def _check_names(req: AirlockRequest, paths: list[str]) -> None:
    """Refuse, before anything is copied, two new names that are one once normalised, and a
    name that looks like another of the request's (a name it already has is a replacement)."""
    given: dict[str, str] = {}
    for path in paths:
        check_relative_path(path)
        normal = names.normal_form(path)
        if given.get(normal, path) != path:
            raise IntakeRefused(
                "same_name",
                _("'{a}' and '{b}' are the same name once written in Unicode normal form.").format(
                    a=given[normal], b=path
                ),
                _("Add only one of them, or rename one in outputs/."),
            )
        given[normal] = path
    everyone = [f.path for f in req.files] + list(given)
    for normal, path in given.items():
        other = names.confusable_with(normal, everyone)
        if other is not None:
            raise IntakeRefused(
                "confusable",
                _("'{path}' looks like '{other}', another file of this request.").format(
                    path=path, other=other
                ),
                _("Rename one of them in outputs/ so that readers can tell them apart."),
            )


def remove_file(settings: Settings, actor: str, request_id: str, path: str) -> None:
    with session_scope(settings) as session:
        req = load(session, request_id)
        require_editable(session, settings, actor, req)
        row = next((f for f in req.files if f.path == path), None)
        if row is None:
            raise NotFound(_("The request has no file {path}.").format(path=path))
        req.files.remove(row)
        audit_event(session, actor, "remove_file", req, path=path)


def file_summary(row: RequestFile) -> dict[str, Any]:
    return {
        "path": row.path,
        "group": row.group.name if row.group else None,
        "sha256": row.sha256,
        "size": row.size,
        "detected_type": row.detected_type,
        "rows": row.rows,
        "verdict": row.verdict,
        "findings": row.report.get("findings", []),
    }


def groups_missing_context(req: AirlockRequest) -> list[str]:
    """Names of the request's groups with files but no context or no controls yet."""
    used = {f.group_id for f in req.files}
    return [g.name for g in req.groups if g.id in used and not (g.context and g.controls)]
