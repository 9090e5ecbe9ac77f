"""The `tre` command line. Thin: each group lives in its own module over the services."""

from __future__ import annotations

import json
import sys

import click
import typer

from tre.errors import PolicyDenied, TreError, UserError

app = typer.Typer(
    name="tre",
    help="Trusted Research Environment for pseudonymised health data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    from tre.cli import (
        airlock,
        audit,
        demo,
        image,
        init,
        lake,
        optout,
        project,
        sdc,
        transparency,
        up,
        user,
    )

    app.command("init")(init.init)
    app.command("up")(up.up)
    app.command("demo-data")(demo.demo_data)
    app.add_typer(lake.app, name="lake", help="Ingest into and inspect the pseudonymised lake.")
    app.add_typer(optout.app, name="optout", help="Record and list patients' opt-outs.")
    app.add_typer(transparency.app, name="transparency", help="Who used a person's records.")
    app.add_typer(project.app, name="project", help="Applications, approvals, permits.")
    from tre.cli import provision  # extracts: `tre project provision|refresh ID`

    project.app.command("provision")(provision.provision)
    project.app.command("refresh")(provision.refresh)
    app.add_typer(sdc.app, name="sdc", help="Automated disclosure checks on outputs.")
    app.add_typer(airlock.app, name="airlock", help="Release requests and reviews.")
    app.add_typer(audit.app, name="audit", help="The tamper-evident audit log.")
    app.add_typer(image.app, name="image", help="Workspace container images.")
    app.add_typer(user.app, name="user", help="Accounts and their roles.")


_register()


def _wants_json(argv: list[str]) -> bool:
    return "--json" in argv


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors print one line and exit non-zero, never a traceback."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = app(args=args, prog_name="tre", standalone_mode=False)
        if isinstance(code, int) and code:  # typer.Exit(n) returns n when not standalone
            sys.exit(code)
    except UserError as exc:
        _fail(exc, args, exc.exit_code)
    except TreError as exc:  # a deliberate error without a dedicated exit code
        _fail(exc, args, 1)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.stderr.write("Aborted.\n")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted; nothing half-written was published.\n")
        sys.exit(130)


def _fail(exc: TreError, args: list[str], code: int) -> None:
    name = type(exc).__name__
    if _wants_json(args):
        body: dict[str, object] = {"error": name, "message": str(exc)}
        if isinstance(exc, PolicyDenied):
            body["reasons"] = exc.reasons
        sys.stdout.write(json.dumps(body, ensure_ascii=False) + "\n")
    sys.stderr.write(f"{name}: {exc}\n")
    sys.exit(code)
