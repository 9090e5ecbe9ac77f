"""Which key signs at which length of the chain: read from the handover events in the log.

A key rotation is an audit event (`ROTATE_ACTION`) whose body holds the handover note,
signed by the outgoing and the incoming key (`tre.checkpoint.statement.Handover`). The
incoming key signs every checkpoint from that event on; before the first handover, its
outgoing key signs. A log without handovers has had one key since it began.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from tre.checkpoint import note
from tre.checkpoint.note import NoteError, Verifier
from tre.checkpoint.statement import Handover
from tre.db.models import AuditEvent
from tre.i18n import _

ROTATE_ACTION = "audit.key.rotate"
HANDOVER_FIELD = "handover"


class HandoverError(ValueError):
    """A handover event that does not prove the change of key (the message says why)."""


def read_handover(seq: int, prev_hash: str, body: str) -> Handover:
    """The handover that event `seq` records, checked: placed where it says, signed by both."""
    try:
        signed = json.loads(body).get(HANDOVER_FIELD)
        parsed = note.parse(signed)
        handover = Handover.parse(parsed.text)
    except (ValueError, TypeError, AttributeError, NoteError) as exc:
        raise HandoverError(
            _("its handover note is malformed ({error})").format(error=exc)
        ) from None
    if (handover.size, handover.head) != (seq - 1, prev_hash):
        raise HandoverError(_("its handover names another place in the chain"))
    if not parsed.signed_by(handover.outgoing):
        raise HandoverError(_("the outgoing key did not sign it"))
    if not parsed.signed_by(handover.incoming):
        raise HandoverError(_("the incoming key did not sign it"))
    return handover


@dataclass
class KeyHistory:
    """Keys in the order they signed, each with the first chain length it signs."""

    entries: list[tuple[int, Verifier]]

    def add(self, seq: int, handover: Handover) -> str | None:
        """Record the handover at event `seq`; the reason when it does not follow on."""
        if self.entries and self.entries[-1][1] != handover.outgoing:
            return _("its outgoing key is not the key in force")
        if not self.entries:
            self.entries.append((0, handover.outgoing))
        self.entries.append((seq, handover.incoming))
        return None

    def key_for(self, size: int) -> Verifier | None:
        """The key in force for a checkpoint of `size` events; None when no handover exists."""
        found = None
        for start, key in self.entries:
            if start <= size:
                found = key
        return found

    def verifiers(self) -> list[Verifier]:
        return [key for _start, key in self.entries]


_HANDOVERS = (
    select(AuditEvent.seq, AuditEvent.prev_hash, AuditEvent.body)
    .where(AuditEvent.action == ROTATE_ACTION, AuditEvent.seq <= bindparam("up_to"))
    .order_by(AuditEvent.seq)
)  # built once: it runs after every change


def handover_rows(db: Session | Connection, up_to: int | None = None) -> list[tuple[int, str, str]]:
    """(seq, prev_hash, body) of every handover event up to `up_to`, oldest first."""
    limit = up_to if up_to is not None else 2**31 - 1  # the largest seq the column holds
    return [(seq, prev, body) for seq, prev, body in db.execute(_HANDOVERS, {"up_to": limit})]


def recorded_history(db: Session | Connection, up_to: int | None = None) -> KeyHistory:
    """The key history as the log records it (handovers read through the action index).

    For signing and for the public register; `tre audit verify` rebuilds it while it walks
    the whole chain, so a handover slipped in or removed is caught there.
    """
    history = KeyHistory([])
    for seq, prev_hash, body in handover_rows(db, up_to):
        try:
            handover = read_handover(seq, prev_hash, body)
        except HandoverError:
            continue  # reported by `tre audit verify`; never followed here
        history.add(seq, handover)
    return history
