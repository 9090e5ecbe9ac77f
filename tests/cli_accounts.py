"""The command line's actor in tests, set as a deployment sets it: the operating-system account
running the tests is mapped to TRE accounts in tre.toml (`cli_accounts`)."""

from __future__ import annotations

import os
import pwd
import shutil
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


_TEMPLATE: list[Path] = []


def admin_in_database(home: Path) -> None:
    """Give `home` a control database in which `test-admin` is an admin, as a deployment's
    operator is: copied from one made once per test run (migrating takes seconds)."""
    from tre.config import load_settings
    from tre.db import dispose_engines, init_db
    from tre.users import add_user

    if not _TEMPLATE:
        import tempfile

        template = Path(tempfile.mkdtemp(prefix="tre-admin-db-"))
        settings = load_settings(home=template)
        init_db(settings)
        add_user(settings, "test-admin", "test-admin", ["admin"])
        dispose_engines()  # the WAL is merged into the file before it is copied
        _TEMPLATE.append(template / "tre.db")
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "tre.db").exists():
        shutil.copyfile(_TEMPLATE[0], home / "tre.db")


def run_tre(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], user: str, *args: str
) -> tuple[int, str, str]:
    """Run `tre ARGS` in-process as TRE account `user`; return (exit code, stdout, stderr)."""
    from tre.cli import main

    act_as(monkeypatch, user)
    code = 0
    try:
        main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
