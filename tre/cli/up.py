"""`tre up`: run the hub (and its services) on 127.0.0.1:8000 until Ctrl-C.

Initialises TRE_HOME; with --demo loads demo data, users and a project through the other
commands' services when they exist (a missing piece is reported, not fatal); builds the
workspace image if it is missing; starts JupyterHub. Ctrl-C stops the hub, its servers and
containers, the packet filter and the workspace network.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Annotated

import typer

from tre.cli.common import JsonFlag, console, emit, settings
from tre.config import Settings
from tre.i18n import _

DEMO_PASSWORD = "tre-demo-password"  # noqa: S105 - demo accounts only, printed to the operator
DEMO_USERS = {
    "admin": "admin",
    "checker1": "output checker",
    "checker2": "output checker",
    "analyst1": "analyst",
    "analyst2": "analyst",
}


def _docker_reason() -> str | None:
    try:
        import docker

        docker.from_env(timeout=5).ping()
    except Exception as exc:
        return type(exc).__name__
    return None


def _tre(*args: str) -> bool:
    """Run another `tre` command; report and carry on when it fails."""
    done = subprocess.run(
        [sys.executable, "-c", "from tre.cli import main; main()", *args], check=False
    )
    if done.returncode != 0:
        console.print(_("[yellow]Skipped:[/] tre ") + " ".join(args))
    return done.returncode == 0


def _demo(cfg: Settings) -> None:
    data = cfg.home_path / "demo-data"
    if not data.exists() and not _tre("demo-data", "--patients", "200", "--out", str(data)):
        return
    _tre("lake", "ingest", "fhir", str(data), "--source", "demo")
    for user, role in DEMO_USERS.items():
        _tre("user", "add", user, "--role", role.replace("output checker", "output_checker"))


def _ensure_image(cfg: Settings) -> None:
    import docker

    client = docker.from_env()
    if client.images.list(name=cfg.workspace_image):
        return
    console.print(_("Building the workspace image (first run only)..."))
    _tre("image", "build")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


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
    if demo:
        _demo(cfg)
    reason = _docker_reason()
    if reason is not None:
        emit(
            {"error": "no-docker", "reason": reason},
            as_json,
            lambda _d: console.print(
                _(
                    "No Docker engine answers: workspaces need one (install docker.io and start"
                    " dockerd), then run `tre up` again."
                )
            ),
        )
        raise typer.Exit(3)
    _ensure_image(cfg)
    options = HubOptions(
        gateway="",
        auth="shared-password" if demo else "native",
        shared_password=DEMO_PASSWORD if demo else "",
    )
    # Ctrl-C and a plain `kill` both stop everything cleanly, even when started in background.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    with running_hub(cfg, options) as hub:
        info = {"url": hub.public_url, "users": DEMO_USERS if demo else {"admin": "admin"}}
        if demo:
            info["password"] = DEMO_PASSWORD

        def render(_d: object) -> None:
            console.print(_("The TRE is running at ") + hub.public_url)
            if demo:
                for user, role in DEMO_USERS.items():
                    console.print(f"  {role:15} {user} / {DEMO_PASSWORD}")
            else:
                console.print(_("Sign up as `admin`, then approve others at /hub/authorize."))
            console.print(_("Press Ctrl-C to stop everything."))

        emit(info, as_json, render)
        try:
            while hub.process.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            console.print(_("Stopping the hub, its workspaces and network..."))
