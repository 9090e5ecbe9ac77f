"""What anyone may copy: the newest checkpoint, the signing key and the keys before it.

The public register page shows it, `/services/portal/register/audit-checkpoints.json`
serves it (its `checkpoint` field has the same shape as a line of the checkpoints file, so
a collector's copies, one per line, can be given to `tre audit verify --checkpoints`), and
`tre audit keys` prints it. It reads no secret: the public half of the key is derived from
the key file, and earlier keys come from the handover events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tre.checkpoint import keys, publish
from tre.checkpoint.history import recorded_history
from tre.checkpoint.note import NoteError, Verifier
from tre.checkpoint.statement import Checkpoint
from tre.checkpoint.store import CheckpointFile
from tre.config import Settings
from tre.db import session_scope
from tre.errors import ConfigError


@dataclass(frozen=True)
class PublicView:
    signed: str | None  # the newest signed note, as published
    checkpoint: Checkpoint | None
    keys: list[tuple[int, Verifier]]  # (first chain length it signs, key), oldest first

    @property
    def key(self) -> Verifier | None:
        return self.keys[-1][1] if self.keys else None

    def to_json(self) -> dict[str, Any]:
        return {
            "checkpoint": self.signed,
            "key": self.key.vkey if self.key else None,
            "keys": [
                {"key": key.vkey, "key_id": key.key_ref, "signs_from_event": start}
                for start, key in self.keys
            ],
        }


def view(settings: Settings) -> PublicView:
    try:
        signed = CheckpointFile(settings.audit_checkpoints_path).last()
        checkpoint = None if signed is None else publish.read_checkpoint(signed)
    except (OSError, ValueError, NoteError):
        signed, checkpoint = None, None  # shown as "nothing published yet"
    with session_scope(settings) as session:
        history = recorded_history(session)
    entries = list(history.entries)
    if not entries:
        try:
            signer = keys.load(settings)
        except ConfigError:
            signer = None
        entries = [(0, signer.verifier)] if signer else []
    return PublicView(signed if checkpoint else None, checkpoint, entries)
