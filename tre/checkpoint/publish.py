"""Sign checkpoints of the committed chain and append them to the checkpoints file.

`sign_when_due(settings)` runs after every transaction that recorded an audit event has
committed (`tre.audit.record` arranges it) and on each round of the hub's operator service.
A checkpoint only ever names a committed head: the head is read from the database afresh.
It never fails the change that called it (that has committed already); a checkpoint it
could not write is logged, and the next change, the operator service's next round or
`tre audit checkpoint` signs the head then.

The signer follows the transparency-log rule: never sign a checkpoint inconsistent with one
signed before. If the chain no longer extends the newest checkpoint (shortened, rewritten),
or the key on disk is not the key the log says is in force, it refuses and says why.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from tre import audit
from tre.checkpoint import keys, note
from tre.checkpoint.history import HANDOVER_FIELD, ROTATE_ACTION, recorded_history
from tre.checkpoint.note import NoteError, Signer, Verifier
from tre.checkpoint.statement import Checkpoint, Handover
from tre.checkpoint.store import CheckpointFile
from tre.config import Settings
from tre.db import AuditEvent, AuditHead, db_engine, session_scope
from tre.errors import ConfigError, TreError
from tre.i18n import _

log = logging.getLogger("tre.checkpoint")
_warned_no_key: set[str] = set()


class CheckpointRefused(TreError):
    """The TRE will not sign: the chain does not extend what it signed before, or the key
    on disk is not the key in force."""


def read_checkpoint(signed: str) -> Checkpoint:
    """The checkpoint in a signed note (signatures are checked by whoever trusts a key)."""
    return Checkpoint.parse(note.parse(signed).text)


# Built once: constructing a statement costs more than running it, and this runs per change.
_HEAD = select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == audit.HEAD_ID)
_HASH_AT = select(AuditEvent.hash).where(AuditEvent.seq == bindparam("seq"))


def _head(conn: Connection) -> tuple[int, str]:
    row = conn.execute(_HEAD).one()
    return int(row[0]), str(row[1])


def _check_extends(conn: Connection, last: Checkpoint, size: int, head: str) -> None:
    if size < last.size:
        raise CheckpointRefused(
            _(
                "Not signing: the audit log has {size} events but the newest checkpoint "
                "covers {signed}; it was shortened."
            ).format(size=size, signed=last.size)
        )
    if size == last.size:
        at: str | None = head
    elif last.size == 0:
        at = audit.GENESIS_HASH
    else:
        at = conn.execute(_HASH_AT, {"seq": last.size}).scalar()
    if at != last.head:
        raise CheckpointRefused(
            _(
                "Not signing: event {seq} no longer has the hash the newest checkpoint "
                "signed; the log was rewritten."
            ).format(seq=last.size)
        )


def _signer_in_force(settings: Settings, signer: Signer, in_force: Verifier | None) -> Signer:
    """The key to sign with: the current one, or an incoming one whose handover committed."""
    if in_force is None or signer.verifier == in_force:
        return signer
    incoming = keys.load_next(settings)
    if incoming is not None and incoming.verifier == in_force:
        keys.promote_next(settings)
        log.info("audit signing key %s is now in force", in_force.key_ref)
        return incoming
    raise CheckpointRefused(
        _(
            "Not signing: the audit signing key {key} is not the key the log names as in "
            "force ({expected})."
        ).format(key=signer.verifier.key_ref, expected=in_force.key_ref),
    )


def publish(settings: Settings, *, when_due: bool = False) -> Checkpoint | None:
    """Sign the committed head and append it; None when it is signed already (or, with
    `when_due`, when the newest checkpoint is younger than the configured interval)."""
    if not settings.audit_key_path.exists():
        keys.require(settings)  # raises, saying how to make one
    interval = timedelta(seconds=settings.audit_checkpoint_interval_seconds)
    with CheckpointFile(settings.audit_checkpoints_path).locked() as file:
        signer = keys.require(settings)  # read under the lock: another process may rotate
        newest = file.last()
        try:
            last = None if newest is None else read_checkpoint(newest)
        except (NoteError, ValueError):
            raise CheckpointRefused(
                _("Not signing: the newest line of {path} is not a checkpoint.").format(
                    path=settings.audit_checkpoints_path
                )
            ) from None
        if when_due and last is not None and datetime.now(UTC) - last.time < interval:
            return None
        with db_engine(settings).connect() as conn:
            size, head = _head(conn)
            if last is not None:
                _check_extends(conn, last, size, head)
            history = recorded_history(conn, up_to=size)
        signer = _signer_in_force(settings, signer, history.key_for(size))
        if last is not None and last.size == size:
            return None
        checkpoint = Checkpoint(signer.name, size, head, datetime.now(UTC))
        file.append(note.sign(checkpoint.text(), signer))
    return checkpoint


def sign_when_due(settings: Settings) -> None:
    """Sign the head if a checkpoint is due; log, never raise. Run after every committed
    change (which stands whatever happens here) and by the operator service's loop."""
    try:
        publish(settings, when_due=True)
    except CheckpointRefused as exc:
        log.error("%s", exc)
    except ConfigError as exc:
        if str(settings.audit_key_path) not in _warned_no_key:
            _warned_no_key.add(str(settings.audit_key_path))
            log.warning("audit checkpoints are not signed: %s", exc)
    except Exception as exc:  # the next change retries; the committed change stands
        log.error("audit checkpoint not written (%s); the next change retries", type(exc).__name__)


@contextmanager
def _rotation_lock(settings: Settings) -> Iterator[None]:
    settings.keys_path.mkdir(parents=True, exist_ok=True)
    fd = os.open(settings.keys_path / "audit-signing.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def rotate(settings: Settings, actor: str) -> tuple[Verifier, Verifier]:
    """Hand signing over to a new key in one audited event; return (outgoing, incoming).

    Rerunnable: an interrupted rotation left its incoming key aside, and either its
    handover committed (the next checkpoint puts the key in force) or it did not (the same
    incoming key is handed over now).
    """
    with _rotation_lock(settings):
        publish(settings)  # the key on disk is in force; an earlier handover is finished
        outgoing = keys.require(settings)
        incoming = keys.prepare_next(settings)
        with session_scope(settings) as session:
            head = audit.lock_chain(session)
            handover = Handover(head.seq, head.hash, outgoing.verifier, incoming.verifier)
            audit.record(
                session,
                actor=actor,
                action=ROTATE_ACTION,
                object_type="audit_key",
                object_id=incoming.verifier.key_ref,
                body={HANDOVER_FIELD: note.sign(handover.text(), outgoing, incoming)},
            )
        publish(settings)  # signed by the incoming key, covering its handover
    return outgoing.verifier, incoming.verifier
