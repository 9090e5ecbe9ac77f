"""The audit signing key: a file under TRE_HOME/keys (mode 0600), never in the database.

The key is stored as Go's note package writes signer keys (`tre.checkpoint.note`), so it
carries its own name: a later change of the `audit_origin` setting does not change a key
in use. During a rotation the incoming key waits in `audit_next_key_path` until the
handover event has committed; then it is renamed over the outgoing key, whose private half
is gone from that moment (its public half stays in the handover event).
"""

from __future__ import annotations

import os
from pathlib import Path

from tre.checkpoint.note import NoteError, Signer
from tre.config import Settings
from tre.errors import ConfigError
from tre.i18n import _


def _write_new(path: Path, signer: Signer) -> bool:
    """Write `signer` to `path` unless a file is there (mode 0600). True if written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(signer.skey + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return True


def create(settings: Settings) -> bool:
    """Create the signing key, named after `audit_origin`, unless one exists. True if created."""
    return _write_new(settings.audit_key_path, Signer.generate(settings.audit_origin))


def _read(path: Path) -> Signer | None:
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        text = ""
    try:
        return Signer.parse(text)
    except NoteError:
        raise ConfigError(
            _("The audit signing key at {path} cannot be read as a key.").format(path=path),
            hint=_("Restore it from backup; a new key would not match the published checkpoints."),
        ) from None


def load(settings: Settings) -> Signer | None:
    """The current signing key, or None before `tre init` made one."""
    return _read(settings.audit_key_path)


def require(settings: Settings) -> Signer:
    signer = load(settings)
    if signer is None:
        raise ConfigError(
            _("No audit signing key at {path}.").format(path=settings.audit_key_path),
            hint=_("Run `tre init` to create it."),
        )
    return signer


def load_next(settings: Settings) -> Signer | None:
    """The incoming key of an unfinished rotation, if any."""
    return _read(settings.audit_next_key_path)


def prepare_next(settings: Settings) -> Signer:
    """The incoming key for a rotation: the one an interrupted rotation left, or a new one."""
    _write_new(settings.audit_next_key_path, Signer.generate(settings.audit_origin))
    signer = load_next(settings)
    assert signer is not None  # written above or by an earlier attempt
    return signer


def promote_next(settings: Settings) -> None:
    """The incoming key becomes the signing key (one rename: never two keys half-swapped)."""
    os.replace(settings.audit_next_key_path, settings.audit_key_path)
