"""Check the audit chain against signed checkpoints that left the system.

One pass over the chain (`tre.audit.verify`) keeps each event's hash (32 bytes an event)
and follows the key handovers; the database transaction ends there. Then every checkpoint
of the source, read as a stream, must:

1. be signed by the key in force at its length, a key the verifier trusts: one of the
   `trusted` keys, or linked to one by handovers (each signed by both keys, so trust runs
   both ways along the history); before any handover, any trusted key;
2. not be longer than the chain (else the log was shortened);
3. carry the hash the chain has after that many events (else it was rewritten or forked).

The first checkpoint, by length, that fails one of these is named.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from tre import audit
from tre.checkpoint.history import ROTATE_ACTION, HandoverError, KeyHistory, read_handover
from tre.checkpoint.note import Verifier
from tre.checkpoint.source import SourceCheckpoint
from tre.db import AuditEvent
from tre.i18n import _


@dataclass(frozen=True)
class Contradiction:
    """The first checkpoint the log contradicts: its line in the source, and why."""

    line: int
    size: int
    time: datetime
    key: str
    problem: str


@dataclass
class Report:
    chain: audit.Verification
    checked: int = 0
    newest: int | None = None  # the longest checkpoint's length
    contradiction: Contradiction | None = None
    broken_handover: tuple[int, str] | None = None  # (event, why)
    keys: list[str] = field(default_factory=list)  # the log's key history, oldest first
    first: tuple[int, int] | None = None  # (length, line) of the contradiction

    @property
    def ok(self) -> bool:
        return self.chain.ok and self.broken_handover is None and self.contradiction is None

    @property
    def uncovered(self) -> int:
        """Events after the newest checkpoint (not yet covered by any)."""
        return self.chain.events - (self.newest or 0)


class ChainWalk:
    """What one pass over the chain keeps: hashes by length and the key history."""

    def __init__(self) -> None:
        self.hashes = bytearray()
        self.history = KeyHistory([])
        self.broken: tuple[int, str] | None = None

    def __call__(self, event: AuditEvent) -> None:
        self.hashes += bytes.fromhex(event.hash)
        if event.action != ROTATE_ACTION or self.broken is not None:
            return
        try:
            handover = read_handover(event.seq, event.prev_hash, event.body)
        except HandoverError as exc:
            self.broken = (event.seq, str(exc))
            return
        if reason := self.history.add(event.seq, handover):
            self.broken = (event.seq, reason)

    @property
    def length(self) -> int:
        return len(self.hashes) // 32

    def extend(self, session: Session) -> audit.Verification:
        """Continue over the events committed since this walk, in a new transaction."""
        return audit.verify(session, observe=self, after=(self.length, self.hash_at(self.length)))

    def hash_at(self, size: int) -> str:
        if size == 0:
            return audit.GENESIS_HASH
        return self.hashes[32 * (size - 1) : 32 * size].hex()


def _trusted_keys(history: KeyHistory, trusted: list[Verifier]) -> list[Verifier]:
    keys = history.verifiers()
    if not keys:
        return trusted
    return keys if any(key in keys for key in trusted) else []


def _problem(walk: ChainWalk, allowed: list[Verifier], length: int, found: SourceCheckpoint) -> str:
    checkpoint = found.checkpoint
    in_force = walk.history.key_for(checkpoint.size)
    if in_force is not None and in_force not in allowed:
        return _(
            "the log's key at event {size} is {key}, which is neither a trusted key (--key) "
            "nor handed over from one"
        ).format(size=checkpoint.size, key=in_force.key_ref)
    signers = allowed if in_force is None else [in_force]
    if not any(k.name == checkpoint.origin and found.note.signed_by(k) for k in signers):
        expected = in_force.key_ref if in_force else ", ".join(k.key_ref for k in allowed)
        return _(
            "it is not signed by a key the TRE trusted at event {size} (expected {expected})"
        ).format(size=checkpoint.size, expected=expected or _("none of the trusted keys"))
    if checkpoint.size > length:
        return _("the log has only {length} events: it was shortened after this checkpoint").format(
            length=length
        )
    if walk.hash_at(checkpoint.size) != checkpoint.head:
        return _(
            "event {size} has another hash than this checkpoint signed: the log was rewritten "
            "or forked"
        ).format(size=checkpoint.size)
    return ""


def walk(session: Session) -> tuple[audit.Verification, ChainWalk]:
    """One pass over the chain inside `session`: its verification and what checking
    checkpoints needs (the transaction can end before the checkpoints are read)."""
    chain = ChainWalk()
    return audit.verify(session, observe=chain), chain


Extend = Callable[[ChainWalk], audit.Verification]


def check(
    verification: audit.Verification,
    chain: ChainWalk,
    checkpoints: Iterable[SourceCheckpoint],
    trusted: list[Verifier],
    extend: Extend | None = None,
) -> Report:
    """Every checkpoint against the walked chain (see the module's docstring).

    Checkpoints longer than the walk may have been signed while it ran (a live TRE keeps
    signing): those are checked again after `extend` has walked the events committed since.
    """
    report = Report(verification)
    if verification.ok and chain.broken is None:
        later = _check_all(report, chain, checkpoints, trusted, defer=extend is not None)
        if later and extend is not None:
            report.chain = extend(chain)
            if report.chain.ok and chain.broken is None:
                _check_all(report, chain, later, trusted, count=False)
    report.broken_handover = chain.broken
    report.keys = [key.vkey for key in chain.history.verifiers()]
    return report


def _check_all(
    report: Report,
    chain: ChainWalk,
    checkpoints: Iterable[SourceCheckpoint],
    trusted: list[Verifier],
    defer: bool = False,
    count: bool = True,
) -> list[SourceCheckpoint]:
    """Check each checkpoint, keep the first contradiction; with `defer`, return those longer
    than the chain unchecked."""
    allowed = _trusted_keys(chain.history, trusted)
    later = []
    for found in checkpoints:
        size = found.checkpoint.size
        if count:
            report.checked += 1
            report.newest = max(report.newest or 0, size)
        if defer and size > chain.length:
            later.append(found)
            continue
        problem = _problem(chain, allowed, chain.length, found)
        if problem and (report.first is None or (size, found.line) < report.first):
            report.first = (size, found.line)
            signer = found.note.signatures[0]
            report.contradiction = Contradiction(
                found.line, size, found.checkpoint.time, f"{signer.name}+{signer.id:08x}", problem
            )
    return later


def verify(
    session: Session, checkpoints: Iterable[SourceCheckpoint], trusted: list[Verifier]
) -> Report:
    """`walk` then `check` in one transaction (nothing can be committed meanwhile)."""
    return check(*walk(session), checkpoints, trusted)
