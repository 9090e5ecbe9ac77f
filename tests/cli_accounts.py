"""The command line's actor in tests, set as a deployment sets it: the operating-system account
running the tests is mapped to TRE accounts in tre.toml (`cli_accounts`)."""

from __future__ import annotations

import os
import pwd
import tomllib
from pathlib import Path

import pytest


def os_account() -> str:
    """The operating-system account running the tests (by effective uid)."""
    return pwd.getpwuid(os.geteuid()).pw_name


def allow_cli(home: Path, *accounts: str) -> None:
    """Let the operating-system account running the tests act as TRE `accounts` on the
    command line: add them to `cli_accounts` in `home`/tre.toml, keeping what else it says."""
    path = home / "tre.toml"
    text = path.read_text() if path.exists() else ""
    mapped = list(tomllib.loads(text).get("cli_accounts", [])) if text else []
    me = os_account()
    mapped += [f"{me}:{a}" for a in accounts if f"{me}:{a}" not in mapped]
    rest = [line for line in text.splitlines() if not line.startswith("cli_accounts")]
    listed = ", ".join(f'"{pair}"' for pair in mapped)
    home.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([f"cli_accounts = [{listed}]", *rest]) + "\n")  # before any table


def act_as(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """From now on the command line acts as TRE account `name`, as for an operator whose
    account is mapped to it in tre.toml and who picks it with TRE_USER."""
    allow_cli(Path(os.environ["TRE_HOME"]), name)
    monkeypatch.setenv("TRE_USER", name)
