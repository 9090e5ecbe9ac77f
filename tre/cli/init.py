"""`tre init`: create TRE_HOME, the lake key, the audit signing key and the control database,
and sign the first audit checkpoint (idempotent)."""

from __future__ import annotations

import os
import secrets

from tre.checkpoint import keys, publish
from tre.cli.common import JsonFlag, console, emit, settings
from tre.config import Settings
from tre.db import init_db
from tre.i18n import _


def create_lake_key(cfg: Settings) -> bool:
    """Write a random 32-byte key with mode 0600; never overwrite one. True if created."""
    cfg.keys_path.mkdir(parents=True, exist_ok=True)
    os.chmod(cfg.keys_path, 0o700)
    try:
        fd = os.open(cfg.lake_key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as fh:
        fh.write(secrets.token_bytes(32))
    return True


def initialise(cfg: Settings) -> dict[str, object]:
    """Create every directory and secret the TRE needs. Safe to run again."""
    for path in (
        cfg.home_path,
        cfg.lake_path,
        cfg.extracts_path,
        cfg.airlock_path,
        cfg.workspaces_path,
    ):
        path.mkdir(parents=True, exist_ok=True)
    created = create_lake_key(cfg)
    signing_key_created = keys.create(cfg)
    database = init_db(cfg)
    publish.publish(cfg)  # the checkpoints file starts with the chain as it is now
    return {
        "home": str(cfg.home_path),
        "lake_key_created": created,
        "audit_key_created": signing_key_created,
        "audit_key": keys.require(cfg).verifier.vkey,
        "database": database,
    }


def init(as_json: JsonFlag = False) -> None:
    """Create TRE_HOME, a lake key and an audit signing key (mode 0600) and the control
    database; sign the first audit checkpoint. Idempotent."""
    result = initialise(settings())

    def render(data: dict[str, object]) -> None:
        console.print(f"{_('Initialised TRE home')}: {data['home']}")
        if not data["lake_key_created"]:
            console.print(_("Lake key already exists; it was left unchanged."))
        console.print(
            _("Audit signing key (public; publish it): {key}").format(key=data["audit_key"])
        )

    emit(result, as_json, render)
