"""The `tre` command line. Thin: each group lives in its own module over the services."""

from __future__ import annotations

import importlib
import json
import sys

import click
import typer

from tre.errors import PolicyDenied, TreError, UserError

# Command groups are imported only when used, so `tre lake ...` does not pay for the
# airlock's or the hub's imports. name: (module, attribute, help for groups).
_ENTRIES: dict[str, tuple[str, str, str | None]] = {
    "init": ("tre.cli.init", "init", None),
    "up": ("tre.cli.up", "up", None),
    "demo-data": ("tre.cli.demo", "demo_data", None),
    "lake": ("tre.cli.lake", "app", "Ingest into and inspect the pseudonymised lake."),
    "optout": ("tre.cli.optout", "app", "Record and list patients' opt-outs."),
    "transparency": ("tre.cli.transparency", "app", "Who used a person's records."),
    "patient": ("tre.cli.patient", "app", "One-time codes for the patients' page."),
    "project": ("tre.cli.project", "app", "Applications, approvals, permits, extracts."),
    "sdc": ("tre.cli.sdc", "app", "Automated disclosure checks on outputs."),
    "airlock": ("tre.cli.airlock", "app", "Release requests and reviews."),
    "audit": ("tre.cli.audit", "app", "The tamper-evident audit log."),
    "image": ("tre.cli.image", "app", "Workspace container images."),
    "user": ("tre.cli.user", "app", "Accounts and their roles."),
}


def build_app(only: str | None = None) -> typer.Typer:
    """The `tre` app with every command, or with just the one named `only`."""
    root = typer.Typer(
        name="tre",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @root.callback()
    def _root() -> None:
        """Trusted Research Environment for pseudonymised health data."""

    for name, (module_name, attribute, group_help) in _ENTRIES.items():
        if only is not None and name != only:
            continue
        target = getattr(importlib.import_module(module_name), attribute)
        if isinstance(target, typer.Typer):
            root.add_typer(target, name=name, help=group_help)
        else:
            root.command(name)(target)
    return root


def __getattr__(name: str) -> typer.Typer:
    if name == "app":  # the full app, for docs and tests
        return build_app()
    raise AttributeError(name)


def _first_command(args: list[str]) -> str | None:
    first = next((a for a in args if not a.startswith("-")), None)
    return first if first in _ENTRIES else None


def _wants_json(argv: list[str]) -> bool:
    return "--json" in argv


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors print one line and exit non-zero, never a traceback."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        cli = build_app(_first_command(args))
        code = cli(args=args, prog_name="tre", standalone_mode=False)
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
