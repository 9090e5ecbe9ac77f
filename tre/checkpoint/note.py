"""Signed notes (c2sp.org/signed-note) with Ed25519 keys, as Go's sumdb and sigstore use them.

A note is a text ending in a newline, a blank line, and signature lines
``— <key name> base64(4-byte key ID || signature)``. Keys are written as Go's
`golang.org/x/mod/sumdb/note` writes them, so other tools can read them:

- verifier key: ``<name>+<key ID, 8 hex digits>+base64(0x01 || 32-byte public key)``
- signer key:   ``PRIVATE+KEY+<name>+<key ID>+base64(0x01 || 32-byte seed)``

with ``key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4]`` read big-endian. The
cryptography is `cryptography`'s Ed25519; this module only reads and writes the text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from functools import cached_property

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from tre.i18n import _

ALG_ED25519 = 0x01
SIGNATURE_PREFIX = "— "  # em dash, space
MAX_SIGNATURES = 100  # the spec asks verifiers to accept at least 16
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_KEY_ID = re.compile(r"[0-9a-f]{8}")


class NoteError(ValueError):
    """A key or a note is not well formed (the message says which part)."""


def valid_name(name: str) -> bool:
    """Key names are non-empty, without Unicode spaces, plus signs or control characters."""
    return (
        bool(name)
        and "+" not in name
        and not any(c.isspace() for c in name)
        and (_CONTROL.search(name) is None)
    )


def key_id(name: str, public: bytes) -> int:
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public).digest()
    return int.from_bytes(digest[:4], "big")


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError(_("{what} is not base64").format(what=what)) from None


@dataclass(frozen=True)
class Verifier:
    """A public key with its name: checks signatures."""

    name: str
    id: int
    public: bytes

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        parts = vkey.strip().split("+", 2)  # base64 may hold "+" too
        if len(parts) != 3 or not valid_name(parts[0]) or not _KEY_ID.fullmatch(parts[1]):
            raise NoteError(_("a verifier key has the form name+keyid+base64key"))
        raw = _b64decode(parts[2], _("the key"))
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise NoteError(_("the key is not an Ed25519 key"))
        verifier = cls(parts[0], int(parts[1], 16), raw[1:])
        if key_id(verifier.name, verifier.public) != verifier.id:
            raise NoteError(_("the key ID does not match the key"))
        return verifier

    @property
    def vkey(self) -> str:
        encoded = base64.b64encode(bytes([ALG_ED25519]) + self.public).decode()
        return f"{self.name}+{self.id:08x}+{encoded}"

    @property
    def key_ref(self) -> str:
        """Name and key ID, as people compare keys: ``name+1a2b3c4d``."""
        return f"{self.name}+{self.id:08x}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Signer:
    """A private key with its name. Never print or log `seed`."""

    name: str
    seed: bytes

    @classmethod
    def generate(cls, name: str) -> Signer:
        if not valid_name(name):
            raise NoteError(_("a key name must be non-empty, without spaces or '+'"))
        seed = Ed25519PrivateKey.generate().private_bytes(
            Encoding.Raw, PrivateFormat.Raw, NoEncryption()
        )
        return cls(name, seed)

    @classmethod
    def parse(cls, skey: str) -> Signer:
        parts = skey.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"] or not valid_name(parts[2]):
            raise NoteError(_("a signer key has the form PRIVATE+KEY+name+keyid+base64key"))
        raw = _b64decode(parts[4], _("the key"))
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise NoteError(_("the key is not an Ed25519 key"))
        signer = cls(parts[2], raw[1:])
        if not _KEY_ID.fullmatch(parts[3]) or int(parts[3], 16) != signer.id:
            raise NoteError(_("the key ID does not match the key"))
        return signer

    @cached_property
    def _private(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @cached_property
    def verifier(self) -> Verifier:
        public = self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return Verifier(self.name, key_id(self.name, public), public)

    @property
    def id(self) -> int:
        return self.verifier.id

    @property
    def skey(self) -> str:
        encoded = base64.b64encode(bytes([ALG_ED25519]) + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.id:08x}+{encoded}"

    def __repr__(self) -> str:  # keep the seed out of tracebacks and logs
        return f"Signer({self.verifier.key_ref})"

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)


@dataclass(frozen=True)
class Signature:
    name: str
    id: int
    signature: bytes


@dataclass(frozen=True)
class Note:
    """A parsed signed note: its text (what was signed) and every signature line."""

    text: str
    signatures: tuple[Signature, ...]

    def signed_by(self, verifier: Verifier) -> bool:
        """True when a signature line of `verifier`'s name and key ID verifies.

        Lines of other keys are ignored, as the spec requires; a line of this key that fails
        to verify makes the whole note count as not signed by it.
        """
        found = [s for s in self.signatures if (s.name, s.id) == (verifier.name, verifier.id)]
        message = self.text.encode()
        return bool(found) and all(verifier.verify(message, s.signature) for s in found)


def check_text(text: str) -> None:
    if not text.endswith("\n") or _CONTROL.search(text):
        raise NoteError(_("a note text ends with a newline and has no control characters"))


def sign(text: str, *signers: Signer) -> str:
    """The signed note: `text`, a blank line, one signature line per signer."""
    check_text(text)
    lines = []
    for signer in signers:
        raw = signer.id.to_bytes(4, "big") + signer.sign(text.encode())
        lines.append(f"{SIGNATURE_PREFIX}{signer.name} {base64.b64encode(raw).decode()}\n")
    return text + "\n" + "".join(lines)


def parse(message: str) -> Note:
    """Split a signed note into text and signatures; NoteError when it is malformed."""
    check_text(message)
    split = message.rfind("\n\n")
    if split < 0:
        raise NoteError(_("a signed note has a blank line before its signatures"))
    text, block = message[: split + 1], message[split + 2 :]
    signatures = []
    for line in block.splitlines():
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError(_("a signature line starts with an em dash and a space"))
        name, _space, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        if not valid_name(name) or not encoded or " " in encoded:
            raise NoteError(_("a signature line is '— name signature'"))
        raw = _b64decode(encoded, _("a signature"))
        if len(raw) < 5:
            raise NoteError(_("a signature is too short"))
        signatures.append(Signature(name, int.from_bytes(raw[:4], "big"), raw[4:]))
    if not signatures or len(signatures) > MAX_SIGNATURES:
        raise NoteError(_("a signed note has 1 to {n} signatures").format(n=MAX_SIGNATURES))
    return Note(text, tuple(signatures))
