"""`tre audit` commands: verify the hash chain against signed checkpoints, sign a checkpoint,
rotate and show the signing key, export events as JSON Lines."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from tre import audit, policy
from tre.checkpoint import keys, public, publish, source
from tre.checkpoint import verify as verification
from tre.checkpoint.note import NoteError, Verifier
from tre.checkpoint.store import CheckpointFile
from tre.cli.common import JsonFlag, console, emit, settings
from tre.cli.identity import current_actor
from tre.config import Settings
from tre.db import session_scope
from tre.errors import ConfigError, InputError, TreError
from tre.i18n import _
from tre.users import actor_document

app = typer.Typer(no_args_is_help=True)


class AuditChainBroken(TreError):
    """The audit chain does not verify."""


def _require(cfg: Settings, action: str) -> None:
    with session_scope(cfg) as session:
        actor = actor_document(session, current_actor())
    policy.require(cfg, action, {"actor": actor})


def _trusted(cfg: Settings, given: list[str]) -> tuple[list[Verifier], bool]:
    """The keys to trust (given with --key, else this TRE's own) and whether they were given."""
    if given:
        try:
            return [Verifier.parse(vkey) for vkey in given], True
        except NoteError as exc:
            raise InputError(
                _("--key is not a verifier key: {error}.").format(error=exc),
                hint=_("Copy the public key from the register page: name+keyid+base64."),
            ) from None
    own = keys.load(cfg)
    if own is None:
        raise InputError(
            _("No key to verify the checkpoints with: this machine has no audit signing key."),
            hint=_("Give the TRE's public key (from the register page) with --key."),
        )
    return [own.verifier], False


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _report_json(report: verification.Report, source: str, local: bool) -> dict[str, Any]:
    found = report.contradiction
    return {
        "source": source,
        "local_file": local,
        "checked": report.checked,
        "newest_event": report.newest,
        "events_after_newest": max(report.uncovered, 0),
        "keys": report.keys,
        "contradicted": None
        if found is None
        else {
            "line": found.line,
            "events": found.size,
            "signed_at": found.time.isoformat(),
            "key": found.key,
            "problem": found.problem,
        },
        "broken_handover": None
        if report.broken_handover is None
        else {"event": report.broken_handover[0], "problem": report.broken_handover[1]},
    }


def _broken(data: dict[str, Any], as_json: bool, message: str) -> NoReturn:
    if as_json:
        sys.stdout.write(json.dumps(data) + "\n")
    sys.stderr.write(message + "\n")
    raise typer.Exit(7)


@app.command()
def verify(
    checkpoints: Annotated[
        str | None,
        typer.Option(
            "--checkpoints",
            help="Checkpoints to verify against: a file or an http(s) URL (default: this "
            "TRE's own checkpoints file).",
        ),
    ] = None,
    key: Annotated[
        list[str] | None,
        typer.Option(
            "--key",
            help="Trust this public key (name+keyid+base64, from the register page); "
            "repeatable. Default: this TRE's own signing key.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Recompute the hash chain and check it against signed checkpoints; exit 7 naming the
    first bad event or the first checkpoint the log contradicts."""
    cfg = settings()
    _require(cfg, "audit.read")
    local = checkpoints is None
    source_name = str(cfg.audit_checkpoints_path) if checkpoints is None else checkpoints
    trusted, pinned = _trusted(cfg, key or [])
    with session_scope(cfg) as session:  # hold the database no longer than the chain's pass
        chain_result, chain = verification.walk(session)

    def extend(walked: verification.ChainWalk) -> audit.Verification:
        with session_scope(cfg) as session:
            return walked.extend(session)

    report = verification.check(chain_result, chain, source.read(source_name), trusted, extend)
    result = report.chain  # extended over events committed while the checkpoints were read
    data: dict[str, Any] = {
        "ok": report.ok,
        "events": result.events,
        "head_hash": result.head_hash,
        "bad_event": result.bad_seq,
        "problem": result.problem,
        "checkpoints": _report_json(report, source_name, local),
        "trusted_keys": [k.vkey for k in trusted],
        "trusted_keys_given": pinned,
    }
    if not result.ok:
        _broken(
            data,
            as_json,
            _("AuditChainBroken: the audit log was tampered with at event {seq}: {problem}").format(
                seq=result.bad_seq, problem=result.problem
            ),
        )
    if report.broken_handover is not None:
        seq, why = report.broken_handover
        _broken(
            data,
            as_json,
            _(
                "AuditChainBroken: event {seq} is a key handover that does not prove the change "
                "of key: {why}"
            ).format(seq=seq, why=why),
        )
    if (found := report.contradiction) is not None:
        _broken(
            data,
            as_json,
            _(
                "AuditChainBroken: the audit log contradicts the checkpoint at line {line} of "
                "{source} ({size} events, signed {time} by {key}): {problem}"
            ).format(
                line=found.line,
                source=source_name,
                size=found.size,
                time=_when(found.time),
                key=found.key,
                problem=found.problem,
            ),
        )
    if report.checked == 0:
        raise InputError(
            _("{source} holds no checkpoint, so the log cannot be checked against it.").format(
                source=source_name
            ),
            hint=_("Run `tre audit checkpoint` on the TRE, or give another copy."),
        )

    def render(d: dict[str, Any]) -> None:
        console.print(
            _("Audit chain verified: {n} events, head {head}.").format(
                n=d["events"], head=d["head_hash"]
            )
        )
        cp = d["checkpoints"]
        console.print(
            _(
                "{checked} signed checkpoints from {source} agree with it; the newest covers "
                "event {newest}, {after} events came after it."
            ).format(
                checked=cp["checked"],
                source=cp["source"],
                newest=cp["newest_event"],
                after=cp["events_after_newest"],
            )
        )
        if local:
            console.print(
                _(
                    "Checked against this TRE's own checkpoints file, which whoever runs this "
                    "machine can replace: verify against a copy kept elsewhere with "
                    "--checkpoints FILE|URL."
                )
            )
        if not pinned:
            console.print(
                _(
                    "Trusted key: this TRE's own signing key; give the published key with "
                    "--key to check it too."
                )
            )

    emit(data, as_json, render)


@app.command()
def checkpoint(as_json: JsonFlag = False) -> None:
    """Sign a checkpoint of the chain now (changes sign one themselves; this is for after an
    interruption, or for cron)."""
    cfg = settings()
    _require(cfg, "audit.checkpoint")
    made = publish.publish(cfg)
    newest = made or publish.read_checkpoint(_newest_note(cfg))
    data = {
        "signed": made is not None,
        "events": newest.size,
        "head_hash": newest.head,
        "file": str(cfg.audit_checkpoints_path),
    }

    def render(d: dict[str, Any]) -> None:
        text = (
            _("Signed a checkpoint of {n} events in {file}.")
            if d["signed"]
            else _("The newest checkpoint in {file} already covers all {n} events.")
        )
        console.print(text.format(n=d["events"], file=d["file"]))

    emit(data, as_json, render)


def _newest_note(cfg: Settings) -> str:
    newest = CheckpointFile(cfg.audit_checkpoints_path).last()
    assert newest is not None  # publish() wrote one or found one
    return newest


@app.command("rotate-key")
def rotate_key(as_json: JsonFlag = False) -> None:
    """Hand signing over to a new key: an audited event that both keys sign. Publish the new
    public key where the old one was published."""
    cfg = settings()
    _require(cfg, "audit.key_rotate")
    outgoing, incoming = publish.rotate(cfg, current_actor())
    data = {"outgoing": outgoing.vkey, "incoming": incoming.vkey}

    def render(d: dict[str, Any]) -> None:
        console.print(_("The audit signing key is now {key}.").format(key=d["incoming"]))
        console.print(_("It replaces {key}.").format(key=d["outgoing"]))

    emit(data, as_json, render)


@app.command("keys")
def show_keys(as_json: JsonFlag = False) -> None:
    """Print the public signing key and every earlier one, with the event each signs from
    (publish the newest where people can copy it)."""
    cfg = settings()
    _require(cfg, "audit.read")
    shown = public.view(cfg)
    if shown.key is None:
        raise ConfigError(
            _("No audit signing key at {path}.").format(path=cfg.audit_key_path),
            hint=_("Run `tre init` to create it."),
        )
    data = shown.to_json()

    def render(d: dict[str, Any]) -> None:
        console.print(_("Audit signing key (public): {key}").format(key=d["key"]))
        for entry in d["keys"][:-1]:
            console.print(
                _("Earlier key {key}, signed from event {seq}.").format(
                    key=entry["key"], seq=entry["signs_from_event"]
                )
            )

    emit(data, as_json, render)


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
    _require(cfg, "audit.read")
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
