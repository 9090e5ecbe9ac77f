"""Opt-outs, stored only as lake person pseudonyms: the raw id is never written anywhere.

The register is `lake_path/optouts.jsonl`, one JSON object per line
(`person_id`, `source`, `recorded_at`). Changes hold an exclusive lock and replace the file
atomically (write aside, fsync, rename), so a reader never sees half a register. An opt-out
applies to extracts built after it is recorded, never to those built before; withdrawing it
lets builds after the withdrawal include the person again.

The person pseudonym follows the lake's rule: `HMAC(key, namespace + "|" + id)` where the
namespace is the source's linkage identifier system if it has one (from settings, else the
one its latest snapshot was ingested with; then `id` is that identifier's value, e.g. an
SSN), else the source name (then `id` is the source's patient id).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tre.config import Settings
from tre.errors import UserError
from tre.i18n import _
from tre.lake.events import record_event
from tre.lake.pseudonymise import check_source_name, person_pseudonym
from tre.lake.snapshots import latest_by_source


def register_path(settings: Settings) -> Path:
    return settings.lake_path / "optouts.jsonl"


def linkage_system(settings: Settings, source: str) -> str | None:
    """The source's linkage system: from settings, else the one its latest snapshot used."""
    config = settings.sources.get(source)
    if config and config.linkage_system:
        return config.linkage_system
    latest = latest_by_source(settings).get(source)
    return latest.get("linkage_system") if latest else None


def lake_person_id(settings: Settings, source: str, identifier: str) -> str:
    """The lake person pseudonym of `identifier` as known to `source`."""
    namespace = linkage_system(settings, source) or source
    return person_pseudonym(settings.read_lake_key(), namespace, identifier)


def _read(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def list_optouts(settings: Settings) -> list[dict[str, Any]]:
    return _read(register_path(settings))


def opted_out(settings: Settings) -> set[str]:
    """Lake person pseudonyms that opted out."""
    return {entry["person_id"] for entry in _read(register_path(settings))}


def opted_out_as_of(settings: Settings) -> tuple[set[str], datetime]:
    """Lake person pseudonyms that opted out, and when the list was read (what a build records:
    every opt-out recorded before that time is applied to it)."""
    read_at = datetime.now(UTC)
    return opted_out(settings), read_at


def optout_entry(settings: Settings, person_id: str) -> dict[str, Any] | None:
    """The opt-out of this lake person, if they opted out."""
    return next((e for e in _read(register_path(settings)) if e["person_id"] == person_id), None)


def add_optout(settings: Settings, source: str, identifier: str, *, actor: str) -> dict[str, Any]:
    """Record an opt-out, audited as `actor`; idempotent. Returns the entry and whether it
    was new."""
    if not check_source_name(source):
        raise UserError(_("Invalid source name: use lower-case letters, digits, '-' or '_'."))
    if not identifier.strip():
        raise UserError(_("The id is empty."), hint=_("Give the person's id in that source."))
    person_id = lake_person_id(settings, source, identifier.strip())
    return record_optout(settings, source, person_id, actor)


@contextmanager
def _changing(settings: Settings) -> Iterator[tuple[list[dict[str, Any]], Callable[[], None]]]:
    """The entries under the register's lock, and a function that writes them back atomically."""
    path = register_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / ".optouts.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        entries = _read(path)

        def save() -> None:
            temporary = path.with_suffix(".jsonl.tmp")
            with temporary.open("w", encoding="utf-8") as handle:
                handle.writelines(json.dumps(e, sort_keys=True) + "\n" for e in entries)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)

        yield entries, save


def record_optout(settings: Settings, source: str, person_id: str, actor: str) -> dict[str, Any]:
    """Record the opt-out of the lake person `person_id` (known to `source`); idempotent."""
    with _changing(settings) as (entries, save):
        existing = next((e for e in entries if e["person_id"] == person_id), None)
        if existing:
            return {**existing, "new": False}
        entry = {
            "person_id": person_id,
            "source": source,
            "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        entries.append(entry)
        save()
    record_event(settings, actor, "lake.optout", "person", person_id, {"source": source})
    return {**entry, "new": True}


def withdraw_optout(settings: Settings, person_id: str, actor: str) -> bool:
    """Withdraw the opt-out of `person_id`: extracts built from now on may include them again.
    Returns whether there was one."""
    with _changing(settings) as (entries, save):
        found = next((e for e in entries if e["person_id"] == person_id), None)
        if found is None:
            return False
        entries.remove(found)
        save()
    body = {"source": found["source"]}
    record_event(settings, actor, "lake.optout_withdraw", "person", person_id, body)
    return True
