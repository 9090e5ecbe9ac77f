"""`tre up`: run the hub (and its services) on 127.0.0.1:8000 until Ctrl-C.

Initialises TRE_HOME; with --demo makes the demo world through the services
(`tre.workspace.demo`: demo data, ingest, users, an approved and provisioned project) and
approved hub accounts with a password and a TOTP secret each. Builds the workspace image if
it is missing, then starts JupyterHub (NativeAuthenticator, TOTP required) with its services
(idle culler, operator, portal). A second run reuses what the first made. Without a Docker
engine the hub still starts, and says that workspaces need one. Ctrl-C stops the hub, its
servers and containers, the packet filter and the workspace network.
"""

from __future__ import annotations

import signal
import time
from typing import Annotated, Any

import typer

from tre.cli.common import JsonFlag, console, emit, err_console, settings
from tre.cli.identity import os_account
from tre.config import CONFIG_FILE_NAME, Settings
from tre.i18n import _

ROLE_NAMES = {"admin": "admin", "output_checker": "output checker", "analyst": "analyst"}


def _docker_reason() -> str | None:
    """Why no Docker engine can be used here, or None when one answers."""
    try:
        import docker

        docker.from_env(timeout=5).ping()
    except Exception as exc:
        return type(exc).__name__
    return None


def _demo(cfg: Settings, quiet: bool) -> dict[str, Any]:
    from tre.workspace.demo import DEMO_PEOPLE, hub_accounts, setup_demo

    labels = {
        "demo-data": _("Generating demo data"),
        "ingest": _("Ingesting demo data into the lake"),
        "project": _("Creating the demo project"),
        "provision": _("Provisioning the demo project's extract"),
    }
    with err_console.status(_("Preparing the demo"), spinner="dots") as status:

        def say(step: str) -> None:
            if not quiet:
                status.update(labels.get(step, step))

        world = setup_demo(cfg, say)
        accounts = hub_accounts(cfg, list(DEMO_PEOPLE))
    return {
        "project": world.project_id,
        "datasets": world.datasets,
        "accounts": {
            user: {"roles": roles, **accounts[user]} for user, roles in world.users.items()
        },
    }


def _ensure_image(cfg: Settings, quiet: bool) -> None:
    import docker

    from tre.cli.image import build_with_progress
    from tre.workspace.image import BuildOptions

    if docker.from_env().images.list(name=cfg.workspace_image):
        return
    if not quiet:
        err_console.print(_("Building the workspace image (first run only)"))
    options = BuildOptions(
        tag=cfg.workspace_image, log_path=cfg.home_path / "logs" / "image-build.log"
    )
    build_with_progress(options, quiet)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _render(info: dict[str, Any]) -> None:
    console.print(_("The TRE is running at {url}").format(url=info["url"]))
    console.print(_("Portal: {url}").format(url=info["url"] + "/services/portal/"))
    if info.get("docker") is not None:
        console.print(
            "[yellow]"
            + _(
                "No Docker engine answers ({reason}): sign-in and the portal work, but "
                "workspaces need one. Install docker.io, start dockerd, then run `tre up` again."
            ).format(reason=info["docker"])
            + "[/]"
        )
    demo = info.get("demo")
    if not demo:
        console.print(
            _("Sign up as `admin` (approved at once), then approve others at /hub/authorize.")
        )
    else:
        console.print(
            _("Demo project {project} is approved and provisioned. Demo accounts:").format(
                project=demo["project"]
            )
        )
        for user, account in demo["accounts"].items():
            role = ", ".join(ROLE_NAMES.get(r, r) for r in account["roles"])
            console.print(
                f"  {role:15} {user:10} {_('password')}: {account['password']}  "
                f"{_('TOTP key')}: {account['totp_secret']}",
                soft_wrap=True,  # keys must stay on one line to be copied
            )
        console.print(
            _(
                "Every account needs a one-time code at sign-in: add its TOTP key to an "
                "authenticator app (time-based, SHA-1, 6 digits, 30 s; or make a QR code of "
                "its otpauth:// URI, printed with --json), or run `oathtool --totp -b KEY`. "
                "Then sign in at {url}/hub/login with username, password and the current code."
            ).format(url=info["url"])
        )
        console.print(
            _("Analysts open the workspace at {url}/hub/spawn/<user>/{project}").format(
                url=info["url"], project=demo["project"]
            )
        )
        console.print(
            _(
                "The command line acts as the TRE account your operating-system account is "
                "mapped to: to use it as the demo's admin, add {line} to {path}."
            ).format(line=f'cli_accounts = ["{os_account()[0]}:admin"]', path=info["config"]),
            soft_wrap=True,
        )
    console.print(_("Press Ctrl-C to stop everything."))


def up(
    demo: Annotated[
        bool, typer.Option("--demo", help="Load synthetic data, users and a project.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Run the TRE (hub, portal, policy) on 127.0.0.1:8000 until Ctrl-C."""
    from tre.cli.init import initialise
    from tre.workspace.hub import HubOptions
    from tre.workspace.launcher import running_hub

    cfg = settings()
    initialise(cfg)
    info: dict[str, Any] = {"demo": _demo(cfg, as_json) if demo else None}
    info["config"] = str(cfg.home_path / CONFIG_FILE_NAME)
    reason = _docker_reason()
    info["docker"] = reason
    if reason is None:
        _ensure_image(cfg, as_json)
    # Ctrl-C and a plain `kill` both stop everything cleanly, even when started in background.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    options = HubOptions(gateway="", auth="native", admin_users=["admin"])
    with running_hub(cfg, options, with_docker=reason is None) as hub:
        info["url"] = hub.public_url
        emit(info, as_json, _render)
        try:
            while hub.process.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            if not as_json:
                console.print(_("Stopping the hub, its workspaces and network..."))
