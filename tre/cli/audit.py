"""`tre audit` commands: verify the hash chain, export events as JSON Lines."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from tre import audit, policy
from tre.cli.common import JsonFlag, console, emit, settings
from tre.cli.identity import current_actor
from tre.config import Settings
from tre.db import session_scope
from tre.errors import InputError, TreError
from tre.i18n import _
from tre.users import actor_document

app = typer.Typer(no_args_is_help=True)


class AuditChainBroken(TreError):
    """The audit chain does not verify."""


def _require_read(cfg: Settings) -> None:
    with session_scope(cfg) as session:
        actor = actor_document(session, current_actor())
    policy.require(cfg, "audit.read", {"actor": actor})


@app.command()
def verify(as_json: JsonFlag = False) -> None:
    """Recompute the hash chain; exit non-zero naming the first bad event."""
    cfg = settings()
    _require_read(cfg)
    with session_scope(cfg) as session:
        result = audit.verify(session)
    data = {
        "ok": result.ok,
        "events": result.events,
        "head_hash": result.head_hash,
        "bad_event": result.bad_seq,
        "problem": result.problem,
    }
    if result.ok:
        emit(
            data,
            as_json,
            lambda d: console.print(
                _("Audit chain verified: {n} events, head {head}.").format(
                    n=d["events"], head=d["head_hash"]
                )
            ),
        )
        return
    if as_json:
        sys.stdout.write(json.dumps(data) + "\n")
    sys.stderr.write(
        _("AuditChainBroken: the audit log was tampered with at event {seq}: {problem}").format(
            seq=result.bad_seq, problem=result.problem
        )
        + "\n"
    )
    raise typer.Exit(7)


def _parse_since(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(
            _("--since is not an ISO date or time."),
            hint=_("Use e.g. 2025-01-31 or 2025-01-31T09:00Z."),
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@app.command()
def export(
    since: Annotated[
        str | None, typer.Option("--since", help="Only events at or after this ISO date/time.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file (default stdout).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Write audit events as JSON Lines (one event per line) for a SIEM."""
    cfg = settings()
    _require_read(cfg)
    start = _parse_since(since)
    with session_scope(cfg) as session:
        if out is None:
            for event in audit.export(session, start):
                sys.stdout.write(json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n")
            return
        partial = out.with_name(f".{out.name}.partial")
        count = 0
        with partial.open("w", encoding="utf-8") as fh:
            for event in audit.export(session, start):
                fh.write(json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n")
                count += 1
        os.replace(partial, out)
    emit(
        {"events": count, "out": str(out)},
        as_json,
        lambda d: console.print(
            _("Wrote {n} events to {out}.").format(n=d["events"], out=d["out"])
        ),
    )
