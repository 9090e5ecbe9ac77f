"""JupyterHub configuration from the TRE settings.

`write_config(settings, options)` writes `<TRE_HOME>/hub/jupyterhub_config.py`, a two-line file
that calls `configure(c, options)` inside the hub, so all logic stays here, typed and tested.

What it configures:
- authentication: NativeAuthenticator with a TOTP second factor required at sign-up and admin
  approval of sign-ups (`auth="native"`, the default), or JupyterHub's shared-password
  authenticator for tests and demos (`auth="shared-password"`);
- `TreSpawner` servers on the internal workspace network; the hub API bound on its gateway;
- the workspace gate (`tre.workspace.gate`, managed service `workspace-gate` on
  127.0.0.1:`gate_port`), whose address the spawner returns as every server's URL, so the
  proxy sends all browser traffic for a workspace through it; containers carry their user and
  project as labels for the gate to find them;
- managed services: `idle-culler` (jupyterhub-idle-culler, timeout from the settings),
  `tre-operator` (groups from project membership, stops servers that lost their permit or
  member; its token is in `<hub dir>/operator.token` for the CLI), and the portal
  (`tre.web.app:create_app`) when that module exists.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from tre.config import Settings, load_settings
from tre.workspace.gate.upstream import container_labels
from tre.workspace.proxy import proxy_command

OPERATOR_SERVICE = "tre-operator"
PORTAL_SERVICE = "portal"
GATE_SERVICE = "workspace-gate"


@dataclass
class HubOptions:
    """What varies between `tre up`, tests and benchmarks; everything else comes from Settings."""

    gateway: str  # the workspace network's gateway: where the hub API listens
    network_name: str = "tre-workspaces"
    hub_api_port: int = 8081
    proxy_api_port: int = 8001
    gate_port: int = 8002  # the workspace gate, on 127.0.0.1
    auth: Literal["native", "shared-password"] = "native"
    shared_password: str = ""
    admin_users: list[str] = field(default_factory=lambda: ["admin"])
    container_prefix: str = "tre-ws"
    container_labels: dict[str, str] = field(default_factory=dict)
    idle_timeout_seconds: int | None = None  # default: settings.idle_timeout_seconds
    cull_every_seconds: int = 60
    operator_interval_seconds: int = 30
    tre_home: str = ""  # default: settings.home_path
    access_check: str = "tre.workspace.access:start_reasons"
    portal: bool = True  # run the portal service (when tre.web.app exists)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def hub_dir(settings: Settings) -> Path:
    return settings.home_path / "hub"


def _secret_file(path: Path, nbytes: int = 32) -> str:
    """A random secret kept in a 0600 file, created once."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_hex(nbytes))
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_text().strip()


def operator_token(settings: Settings) -> str:
    """The API token of the `tre-operator` service (admin scopes): for the CLI and tests."""
    return _secret_file(hub_dir(settings) / "operator.token")


def write_config(settings: Settings, options: HubOptions) -> Path:
    """Write the hub's config file and its state (`hub.json` tells the CLI where the API is)."""
    directory = hub_dir(settings)
    directory.mkdir(parents=True, exist_ok=True)
    operator_token(settings)
    state = {"api_url": f"http://{options.gateway}:{options.hub_api_port}/hub/api"}
    (directory / "hub.json").write_text(json.dumps(state))
    path = directory / "jupyterhub_config.py"
    text = (
        "# Written by `tre`; edit the TRE settings instead.\n"
        "from tre.workspace.hub import configure\n"
        f"configure(c, {options.to_json()!r})  # noqa: F821\n"
    )
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return path


def hub_api_url(settings: Settings) -> str | None:
    """Where the running hub's API is, if a hub was configured here."""
    state = hub_dir(settings) / "hub.json"
    if not state.exists():
        return None
    return str(json.loads(state.read_text())["api_url"])


def configure(c: Any, options_json: str) -> None:
    """Fill the JupyterHub config object `c` (called from the generated config file)."""
    options = HubOptions(**json.loads(options_json))
    settings = load_settings(home=Path(options.tre_home)) if options.tre_home else load_settings()
    directory = hub_dir(settings)
    python = sys.executable

    c.JupyterHub.ip = settings.hub_ip
    c.JupyterHub.port = settings.hub_port
    c.JupyterHub.hub_bind_url = f"http://{options.gateway}:{options.hub_api_port}"
    c.JupyterHub.hub_connect_url = f"http://{options.gateway}:{options.hub_api_port}"
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{options.proxy_api_port}"
    c.ConfigurableHTTPProxy.command = proxy_command(settings)
    c.ConfigurableHTTPProxy.auth_token = _secret_file(directory / "proxy.token")
    c.JupyterHub.db_url = f"sqlite:///{directory / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(directory / "cookie_secret")
    c.JupyterHub.pid_file = str(directory / "jupyterhub.pid")
    c.JupyterHub.cleanup_servers = True
    c.JupyterHub.allow_named_servers = True
    c.JupyterHub.named_server_limit_per_user = 0
    c.JupyterHub.default_url = "/hub/home"
    c.JupyterHub.trusted_downstream_ips = []

    _configure_auth(c, options)
    _configure_spawner(c, settings, options)
    _configure_services(c, settings, options, python)


def _configure_auth(c: Any, options: HubOptions) -> None:
    c.Authenticator.admin_users = set(options.admin_users)
    if options.auth == "shared-password":
        if len(options.shared_password) < 8:
            raise ValueError("shared-password authentication needs a password of 8+ characters")
        c.JupyterHub.authenticator_class = "shared-password"
        c.SharedPasswordAuthenticator.user_password = options.shared_password
        c.Authenticator.allow_all = True
        return
    c.JupyterHub.authenticator_class = "tre.workspace.auth.TreNativeAuthenticator"
    c.NativeAuthenticator.open_signup = False  # an admin approves each sign-up
    c.NativeAuthenticator.allow_2fa = True
    c.NativeAuthenticator.check_common_password = True
    c.NativeAuthenticator.minimum_password_length = 10
    c.NativeAuthenticator.allowed_failed_logins = 5
    c.NativeAuthenticator.seconds_before_next_try = 300
    c.Authenticator.allow_all = False  # only approved sign-ups (NativeAuthenticator) may log in
    c.TreNativeAuthenticator.require_2fa = True


def _configure_spawner(c: Any, settings: Settings, options: HubOptions) -> None:
    c.JupyterHub.spawner_class = "tre.workspace.spawner.TreSpawner"
    c.TreSpawner.tre_home = options.tre_home or str(settings.home_path)
    c.TreSpawner.access_check = options.access_check
    c.DockerSpawner.image = settings.workspace_image
    c.DockerSpawner.pull_policy = "never"  # images are built locally, never pulled
    c.DockerSpawner.network_name = options.network_name
    c.DockerSpawner.use_internal_ip = True
    c.DockerSpawner.remove = True
    c.DockerSpawner.prefix = options.container_prefix
    c.DockerSpawner.extra_create_kwargs = {
        "labels": {"tre.workspace": "1", **container_labels(), **options.container_labels}
    }
    c.TreSpawner.gate_url = f"http://127.0.0.1:{options.gate_port}"
    c.Spawner.cmd = ["jupyterhub-singleuser"]
    c.Spawner.default_url = "/lab"
    c.Spawner.start_timeout = 120
    c.Spawner.http_timeout = 60


def _configure_services(c: Any, settings: Settings, options: HubOptions, python: str) -> None:
    timeout = options.idle_timeout_seconds or settings.idle_timeout_seconds
    home = options.tre_home or str(settings.home_path)
    services: list[dict[str, Any]] = [
        {
            "name": "idle-culler",
            "command": [
                python,
                "-m",
                "jupyterhub_idle_culler",
                f"--timeout={timeout}",
                f"--cull-every={options.cull_every_seconds}",
            ],
        },
        {
            "name": OPERATOR_SERVICE,
            "api_token": operator_token(settings),
            "command": [
                python,
                "-m",
                "tre.workspace.enforce",
                f"--interval={options.operator_interval_seconds}",
                f"--check={options.access_check}",
            ],
            "environment": {"TRE_HOME": home},
        },
    ]
    services.append(_gate_service(options, python, home))
    roles: list[dict[str, Any]] = [
        {
            "name": "idle-culler",
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
            "services": ["idle-culler"],
        },
        {"name": "admin", "services": [OPERATOR_SERVICE]},
    ]
    if options.portal and importlib.util.find_spec("tre.web.app") is not None:
        services.append(
            {
                "name": PORTAL_SERVICE,
                "url": f"http://127.0.0.1:{settings.portal_port}",
                "command": [
                    python,
                    "-m",
                    "uvicorn",
                    "--factory",
                    "tre.web.app:create_app",
                    "--host=127.0.0.1",
                    f"--port={settings.portal_port}",
                ],
                "environment": {"TRE_HOME": home},
                "oauth_no_confirm": True,
            }
        )
        roles.append(
            {"name": "portal", "scopes": ["read:users", "list:users"], "services": [PORTAL_SERVICE]}
        )
        # Every signed-in user may sign in to the portal (HubOAuth); what they may do there
        # is decided by policy. Without this scope the hub answers 403 at the OAuth step.
        roles.append(
            {"name": "user", "scopes": ["self", f"access:services!service={PORTAL_SERVICE}"]}
        )
    c.JupyterHub.services = services
    c.JupyterHub.load_roles = roles


def _gate_service(options: HubOptions, python: str, home: str) -> dict[str, Any]:
    """The workspace gate as a managed service: no URL (the proxy routes only servers to
    it), no role. It reads the same settings as the spawner: every TRE_* variable passes."""
    labels = [f"--label={k}={v}" for k, v in sorted(options.container_labels.items())]
    return {
        "name": GATE_SERVICE,
        "command": [
            python,
            "-m",
            "tre.workspace.gate",
            f"--port={options.gate_port}",
            f"--network={options.network_name}",
            *labels,
        ],
        "environment": {
            **{k: v for k, v in os.environ.items() if k.startswith(("TRE_", "DOCKER_"))},
            "TRE_HOME": home,
        },
    }
