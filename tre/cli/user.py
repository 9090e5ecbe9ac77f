"""`tre user` commands: accounts and global roles."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from tre import users
from tre.cli.common import JsonFlag, console, emit, settings
from tre.cli.identity import current_actor
from tre.i18n import _

app = typer.Typer(no_args_is_help=True)


@app.command()
def add(
    username: Annotated[str, typer.Argument(metavar="NAME")],
    role: Annotated[
        list[str],
        typer.Option("--role", help="admin, approver, output_checker or analyst; repeatable."),
    ],
    display_name: Annotated[str, typer.Option("--name", help="Display name.")] = "",
    email: Annotated[
        str | None, typer.Option("--email", help='Address for notices by e-mail ("" for none).')
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a user, or replace their roles. The first admin may add themselves."""
    result = users.add_user(settings(), current_actor(), username, role, display_name, email)
    emit(
        result,
        as_json,
        lambda d: console.print(f"{_('User')} {d['username']}: {', '.join(d['roles'])}"),
    )


@app.command("list")
def list_(as_json: JsonFlag = False) -> None:
    """Every user and their roles (admins only)."""

    def render(rows: list[dict[str, Any]]) -> None:
        table = Table("username", "name", "roles")
        for row in rows:
            table.add_row(row["username"], row["display_name"], ", ".join(row["roles"]))
        console.print(table)

    emit(users.list_users(settings(), current_actor()), as_json, render)


@app.command("reset-2fa")
def reset_2fa(
    username: Annotated[str, typer.Argument(metavar="NAME")], as_json: JsonFlag = False
) -> None:
    """Give NAME's hub account a new TOTP secret (shown once); the old codes stop working."""
    from tre.workspace.accounts import reset_second_factor

    result = reset_second_factor(settings(), current_actor(), username)
    emit(result, as_json, lambda d: console.print(f"{d['secret']}\n{d['uri']}"))
