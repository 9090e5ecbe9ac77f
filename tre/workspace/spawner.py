"""`TreSpawner`: one isolated JupyterLab container per (user, project).

Contract (on top of DockerSpawner's):
- The server's name is the project id: `/user/<username>/<project_id>`. The unnamed default
  server is refused.
- `start()` first asks `tre.workspace.access.start_reasons`; a refusal raises a
  `SpawnException` (HTTP 403) whose message is the policy's reasons, shown on the hub's page.
- Mounts, and nothing else from the host: the project's current extract build (the `current`
  symlink resolved at start, so a refresh never changes a running server's data) read-only at
  `/home/jovyan/data`; the persistent home `workspaces_path/<project>/homes/<user>` at
  `/home/jovyan`; the project's `workspaces_path/<project>/outputs` at `/home/jovyan/outputs`.
- All capabilities dropped, no-new-privileges, pids/memory/CPU limits from the settings, the
  internal workspace network only, and the default route deleted once the container runs.
- `start()` returns only when the server answers: it probes the server's HTTP API itself
  every `ready_poll_interval` (no Docker call), so the hub's own readiness check (exponential
  backoff) succeeds at its first try; a container that dies meanwhile is reported by Docker's
  event stream (`tre.workspace.exits`), not by polling Docker.
- Starts overlap: Docker calls run on a pool of `docker_threads` threads (DockerSpawner's
  default is one thread for every call of every start), with as many pooled connections.
- The URL it returns is the workspace gate's (`gate_url`, `tre.workspace.gate`), never the
  container's: every request from a browser passes the gate, which finds the container by its
  user and project labels. Without a gate configured, no workspace starts. The container gets
  the deployment's limits on what crosses to the browser (`TRE_WORKSPACE_LIMITS`).
Every step is safe to repeat: a start after a crash removes the stale container first.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
from docker.utils import kwargs_from_env
from dockerspawner import DockerSpawner
from jupyterhub.spawner import SpawnException
from traitlets import Float, Int, Unicode, default

from tre.config import Settings, load_settings
from tre.i18n import _
from tre.workspace import access, network
from tre.workspace.exits import ContainerExits
from tre.workspace.limits import workspace_limits
from tre.workspace.transfer import LIMITS_ENV, Limits

HOME = "/home/jovyan"
DATA_DIR = f"{HOME}/data"
OUTPUTS_DIR = f"{HOME}/outputs"


def project_paths(settings: Settings, project_id: str, username: str) -> tuple[Path, Path]:
    """(home, outputs) host directories for (user, project)."""
    root = settings.workspaces_path / project_id
    return root / "homes" / username, root / "outputs"


# Root-owned in the image: per-language defaults of JupyterLab's settings.
LOCALE_CONFIG_DIR = "/etc/jupyter-locale"


def workspace_environment(
    locale: str, project_id: str, limits: Limits | None = None
) -> dict[str, str]:
    """The variables a workspace container starts with (no secret, no host path)."""
    env = {
        "JUPYTER_CONFIG_DIR": "/etc/jupyter",
        "TRE_DATA_DIR": DATA_DIR,
        "TRE_OUTPUTS_DIR": OUTPUTS_DIR,
        "TRE_PROJECT_ID": project_id,
        # The language of the client's messages, descriptions and pre-check findings.
        "TRE_LOCALE": locale,
        # What the server may hand the browser (tre.workspace.transfer); the gate holds the same.
        LIMITS_ENV: (limits or Limits()).to_env(),
        "HOME": HOME,
    }
    if locale != "en":  # JupyterLab's own menus in that language, until the analyst changes it
        env["JUPYTER_CONFIG_PATH"] = f"{LOCALE_CONFIG_DIR}/{locale}"
    return env


def prepare_host_dirs(home: Path, outputs: Path, uid: int, gid: int) -> None:
    """Create home and outputs owned by the container's user; mount points inside home too."""
    for path in (home, outputs, home / "data", home / "outputs"):
        path.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            os.chown(path, uid, gid)
    home.chmod(0o700)
    outputs.chmod(0o770)


def _load_check(spec: str) -> Callable[[Settings, str, str], list[str]]:
    module, _sep, name = spec.partition(":")
    check: Callable[[Settings, str, str], list[str]] = getattr(
        importlib.import_module(module), name
    )
    return check


class TreSpawner(DockerSpawner):
    notebook_uid = Int(1000, config=True, help="uid of the image's notebook user.")
    notebook_gid = Int(1000, config=True, help="gid of the image's notebook user.")
    ready_poll_interval = Float(
        0.05, config=True, help="Seconds between readiness probes of a starting server."
    )
    gate_url = Unicode(
        "",
        config=True,
        help="The workspace gate's URL (tre.workspace.gate), returned as every server's URL.",
    )
    docker_threads = Int(
        32,
        config=True,
        help="Threads (and pooled connections) for Docker calls, shared by all starts.",
    )
    tre_home = Unicode("", config=True, help="TRE_HOME of the settings to use (default: env).")
    access_check = Unicode(
        "tre.workspace.access:start_reasons",
        config=True,
        help="module:function(settings, username, project_id) -> reasons a start is refused.",
    )

    _exits: ContainerExits | None = None
    _exited: asyncio.Future[int] | None = None  # this start's container exit, once started

    def _default_name_template(self) -> str:
        return "{prefix}-{username}--{servername}"

    @default("client_kwargs")
    def _default_client_kwargs(self) -> dict[str, Any]:
        return {"max_pool_size": self.docker_threads}

    @property
    def executor(self) -> ThreadPoolExecutor:
        """One pool for the hub's Docker calls, wide enough for overlapping starts."""
        cls = type(self)
        if cls._executor is None:
            cls._executor = ThreadPoolExecutor(self.docker_threads, "tre-docker")
        return cls._executor

    @property
    def exits(self) -> ContainerExits:
        """The hub's one watcher of workspace containers' exits."""
        cls = type(self)
        if cls._exits is None:
            kwargs = {"version": "auto", **kwargs_from_env(), **self.client_kwargs}
            client_class = type(self.client)
            cls._exits = ContainerExits(lambda: client_class(**kwargs), label="tre.workspace=1")
        return cls._exits

    @property
    def settings(self) -> Settings:
        if self.tre_home:
            return load_settings(home=Path(self.tre_home))
        return load_settings()

    @property
    def project_id(self) -> str:
        return str(self.name or "")

    # Start ---------------------------------------------------------------------------
    async def start(self) -> str:  # a URL (JupyterHub also takes an (ip, port) pair)
        if not self.gate_url:  # fail closed: never hand the hub a container's own address
            raise SpawnException(
                _("This workspace cannot start: the TRE's workspace gate is not configured."),
                reason="gate",
                status_code=503,
            )
        began = time.monotonic()
        settings = self.settings
        project_id = self.project_id
        username = self.user.name
        check = _load_check(self.access_check)
        reasons = await asyncio.to_thread(check, settings, username, project_id)
        if reasons:
            raise SpawnException(
                _("This workspace cannot start: ") + " ".join(reasons),
                reason="policy",
                status_code=403,
            )
        extract = access.current_extract(settings, project_id)
        if extract is None:  # checked above; guards a refresh racing the check
            raise SpawnException(
                _("The project's extract has not been provisioned yet."),
                reason="policy",
                status_code=403,
            )
        try:
            await self.docker("version")
        except Exception:  # no engine: say so rather than a connection traceback
            raise SpawnException(
                _(
                    "Workspaces need a Docker engine, and none answers on this machine. "
                    "An admin installs and starts Docker, then restarts `tre up`."
                ),
                reason="docker",
                status_code=503,
            ) from None
        home, outputs = project_paths(settings, project_id, username)
        await asyncio.to_thread(
            prepare_host_dirs, home, outputs, self.notebook_uid, self.notebook_gid
        )
        self.volumes = {
            str(home): {"bind": HOME, "mode": "rw"},
            str(extract): {"bind": DATA_DIR, "mode": "ro"},
            str(outputs): {"bind": OUTPUTS_DIR, "mode": "rw"},
        }
        self.mem_limit = settings.workspace_mem_limit
        self.cpu_limit = settings.workspace_cpu_limit
        self.extra_host_config = {
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "pids_limit": settings.workspace_pids_limit,
            "read_only": False,
            "privileged": False,
        }
        self.environment = {
            **dict(self.environment),  # type: ignore[has-type]
            **workspace_environment(settings.locale, project_id, workspace_limits(settings)),
        }
        self.notebook_dir = HOME
        checked = time.monotonic()
        try:
            ip, port = await super().start()
            created = time.monotonic()
            await self._wait_ready(ip, port)
        finally:
            self.exits.forget(self.container_id)
        # Where a start's time goes (bench/spawn.py reads this line).
        self.log.info(
            "tre-spawn-timing check=%.3f container=%.3f server=%.3f",
            checked - began,
            created - checked,
            time.monotonic() - created,
        )
        return self.gate_url

    async def start_object(self) -> None:
        """Start the container, then cut its default route before anything can use it."""
        self._exited = self.exits.watch(self.container_id)  # before it can exit
        await super().start_object()
        info = await self.docker("inspect_container", self.container_id)
        pid = int(info["State"].get("Pid") or 0)
        await asyncio.to_thread(network.remove_default_route, pid)

    async def _wait_ready(self, ip: str, port: int) -> None:
        """Probe the server's API quickly; the hub's check with backoff then passes at once.

        Returns early when the container exits (Docker's event): the hub then reports it."""
        url = f"http://{ip}:{port}{self.server.base_url if self.server else '/'}api"
        deadline = time.monotonic() + float(self.http_timeout)
        timeout = aiohttp.ClientTimeout(total=1)
        exited = self._exited or asyncio.get_running_loop().create_future()
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while time.monotonic() < deadline and not exited.done():
                try:
                    async with session.get(url, allow_redirects=False) as resp:
                        if resp.status < 500:
                            return
                except (aiohttp.ClientError, TimeoutError, OSError):
                    pass
                await asyncio.wait({exited}, timeout=self.ready_poll_interval)
