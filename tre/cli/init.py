"""`tre init`: create TRE_HOME, the lake key and the control database (idempotent)."""

from __future__ import annotations

import os
import secrets

from tre.cli.common import JsonFlag, console, emit, settings
from tre.config import Settings
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
    database = None
    try:  # the control database arrives with tre.db
        from tre.db import init_db  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        pass
    else:
        database = init_db(cfg)
    return {
        "home": str(cfg.home_path),
        "lake_key_created": created,
        "database": database,
    }


def init(as_json: JsonFlag = False) -> None:
    """Create TRE_HOME, a lake key (mode 0600) and the control database. Idempotent."""
    result = initialise(settings())

    def render(data: dict[str, object]) -> None:
        console.print(f"{_('Initialised TRE home')}: {data['home']}")
        if not data["lake_key_created"]:
            console.print(_("Lake key already exists; it was left unchanged."))

    emit(result, as_json, render)
