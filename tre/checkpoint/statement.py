"""The two texts the TRE signs about its audit chain: a checkpoint and a key handover.

A checkpoint follows the layout of c2sp.org/tlog-checkpoint: the log's origin, the number
of events, the base64 of a 32-byte hash, then one extension line with the signing time in
nanoseconds since the epoch (as sigstore's Rekor writes it). The hash is the head of the
SHA-256 hash chain after that many events (`tre.audit`), not an RFC 6962 Merkle root: it
proves a prefix only to someone who holds the events, which `tre audit verify` does.

    tre.example.org/audit
    1234
    q1v2kn5yS0G4rB3b8Dg0xOuGQo9bQ2h1H6Z2NnR8nQ4=
    Timestamp: 1796640000000000000

A handover names the key that signs from the next event on; the outgoing and the incoming
key both sign it, so a verifier who trusts either trusts the other. Its first line has
spaces, which an origin never has, so a handover can never be read as a checkpoint.

    tre audit signing key handover
    1234                      (events before the handover's own event)
    <base64 head hash at 1234>
    <outgoing verifier key>
    <incoming verifier key>
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tre.checkpoint.note import NoteError, Verifier, valid_name
from tre.i18n import _

HANDOVER_TITLE = "tre audit signing key handover"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")
_TIMESTAMP = re.compile(r"Timestamp: (0|[1-9][0-9]{0,19})")


def _hash_line(head_hex: str) -> str:
    return base64.b64encode(bytes.fromhex(head_hex)).decode()


def _read_hash(line: str) -> str:
    try:
        raw = base64.b64decode(line, validate=True)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise NoteError(_("the hash line is not the base64 of 32 bytes"))
    return raw.hex()


def _read_size(line: str) -> int:
    if not _SIZE.fullmatch(line):
        raise NoteError(_("the size line is not a decimal number"))
    return int(line)


@dataclass(frozen=True)
class Checkpoint:
    """The chain had `size` events, ending in `head` (hex), at `time` (UTC)."""

    origin: str
    size: int
    head: str
    time: datetime

    def text(self) -> str:
        nanos = (self.time - EPOCH) // timedelta(microseconds=1) * 1000
        return f"{self.origin}\n{self.size}\n{_hash_line(self.head)}\nTimestamp: {nanos}\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) != 5 or lines[-1] != "":
            raise NoteError(_("a checkpoint has four lines: origin, size, hash, Timestamp"))
        origin, size, head, stamp = lines[:4]
        if not valid_name(origin):
            raise NoteError(_("the origin line is empty or has spaces or '+'"))
        found = _TIMESTAMP.fullmatch(stamp)
        if not found:
            raise NoteError(_("the fourth line is not 'Timestamp: <nanoseconds>'"))
        nanos = int(found.group(1))
        try:
            time = EPOCH + timedelta(microseconds=nanos // 1000)
        except OverflowError:
            raise NoteError(_("the Timestamp is out of range")) from None
        return cls(origin, _read_size(size), _read_hash(head), time)


@dataclass(frozen=True)
class Handover:
    """From event `size` + 1 on, `incoming` signs instead of `outgoing`."""

    size: int
    head: str
    outgoing: Verifier
    incoming: Verifier

    def text(self) -> str:
        return (
            f"{HANDOVER_TITLE}\n{self.size}\n{_hash_line(self.head)}\n"
            f"{self.outgoing.vkey}\n{self.incoming.vkey}\n"
        )

    @classmethod
    def parse(cls, text: str) -> Handover:
        lines = text.split("\n")
        if len(lines) != 6 or lines[0] != HANDOVER_TITLE or lines[-1] != "":
            raise NoteError(_("a handover has five lines: title, size, hash, two keys"))
        return cls(
            _read_size(lines[1]),
            _read_hash(lines[2]),
            Verifier.parse(lines[3]),
            Verifier.parse(lines[4]),
        )
