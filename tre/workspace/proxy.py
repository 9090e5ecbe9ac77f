"""The HTTP proxy in front of JupyterHub: which program runs it, or why none can.

Every request from a browser (sign-in, the portal, each analyst's JupyterLab and its
websockets) and every status poll passes through this proxy, so it must not queue: the TRE
runs the Node `configurable-http-proxy` (npm), which forwards each request as it comes. Its
exact version and every dependency are locked in `deploy/local/proxy/package-lock.json`;
`scripts/ensure-proxy.sh` (run by `make install`, hence `make up` and CI) installs them with
`npm ci` into `deploy/local/proxy/node_modules`. A site installing elsewhere sets
`proxy_command` (TRE_PROXY_COMMAND) to its own copy.

The PyPI package of the same name (a Python port) is not used: it forwards through tornado's
`AsyncHTTPClient`, which sends 10 requests at a time and queues the rest.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tre.config import Settings
from tre.errors import ConfigError
from tre.i18n import _

PROXY_DIR = Path(__file__).resolve().parents[2] / "deploy" / "local" / "proxy"
LOCKED_PROXY = PROXY_DIR / "node_modules" / ".bin" / "configurable-http-proxy"


def proxy_command(settings: Settings) -> list[str]:
    """The command that starts the proxy; a `ConfigError` saying what to do if it is missing."""
    if settings.proxy_command:
        program = Path(settings.proxy_command)
        if not (program.is_file() and os.access(program, os.X_OK)):
            raise ConfigError(
                _("proxy_command {path} is not an executable file.").format(path=program),
                hint=_("Point TRE_PROXY_COMMAND at configurable-http-proxy, or unset it."),
            )
        return [str(program)]
    if not LOCKED_PROXY.exists():
        raise ConfigError(
            _("The hub's proxy (configurable-http-proxy) is not installed."),
            hint=_(
                "Run `make install` (or scripts/ensure-proxy.sh), which installs it from "
                "deploy/local/proxy/package-lock.json; or set TRE_PROXY_COMMAND."
            ),
        )
    if shutil.which("node") is None:
        raise ConfigError(
            _("The hub's proxy needs Node.js, and `node` is not on the PATH."),
            hint=_("Install Node.js 20 or newer, then start again."),
        )
    return [str(LOCKED_PROXY)]
