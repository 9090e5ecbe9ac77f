"""Jupyter server extension: the workspace server hands the browser only what editing code needs.

Runs inside the workspace container (see images/workspace/). It is the friendly first layer:
the workspace gate in the control plane (`tre.workspace.gate`) enforces the same rules
whatever this server does; this extension refuses early, with messages JupyterLab shows.
Contract:

- `/files/...`, `/view/...`, `/nbconvert/...` (exports; `/api/nbconvert` only lists their
  names and stays), terminals, nbconfig (`/api/config`), the event-emit endpoint,
  JupyterLab's extension and plugin managers, news and update checks, Prometheus metrics and
  the API spec answer 403. Kernel spec resources are limited to the kernels' logos.
- The contents API returns the content only of notebooks and code or text files
  (`tre.workspace.transfer`: kinds and caps), each within its cap; any other file's content
  is refused with a message that points to the airlock. Listings keep names and sizes.
- Content written from the browser (saves, uploads) must be a notebook or a code or text
  file, text, whole (no chunked uploads) and within the cap of its kind.
- The contents API never returns the content of a file under the data directory
  (`TRE_DATA_DIR`, default /home/jovyan/data), also when reached through a symlink: real
  paths are compared. Directory listings and file metadata stay visible.
- The contents API never returns base64 (binary) content, anywhere.
- Copying or renaming out of (or into) the data directory is refused before any byte
  moves, including directory trees that contain a symlink into it; directory copies keep
  symlinks as symlinks. Checkpoints of data files are refused.
- Notebooks and text files outside the data directory open, save, copy and rename normally.

It is configured from the root-owned /etc/jupyter (JUPYTER_CONFIG_DIR), so the analyst's own
configuration cannot turn it off. If the server runs with another contents manager, the
whole contents API answers 403; with another kernel websocket connection class than
`tre.workspace.kernel_limits.LimitedChannelsConnection`, kernel channels do (fail closed).
The caps come from `TRE_WORKSPACE_LIMITS`, set by the spawner.

This module imports only the standard library, jupyter_server and tre modules that do the
same: the image installs `tre` without its dependencies.
"""

from __future__ import annotations

import contextvars
import os
import shutil
from collections.abc import Iterator
from typing import Any

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from jupyter_server.utils import url_path_join
from nbformat.sign import NotebookNotary
from tornado import web
from traitlets import default, validate

from tre.i18n import _
from tre.workspace.kernel_limits import LimitedChannelsConnection
from tre.workspace.transfer import Limits, Refusal, read_refusal, upload_refusal

DATA_DIR_ENV = "TRE_DATA_DIR"
DEFAULT_DATA_DIR = "/home/jovyan/data"

# Set while the manager itself reads a file to copy it inside the workspace, so that binary
# files can still be copied although their base64 content is never sent to a browser.
_internal_read: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "tre_internal_read", default=False
)


def data_dir() -> str:
    """Real path of the read-only data directory (from the environment, not user config)."""
    return os.path.realpath(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)


def is_under(real_path: str, directory: str) -> bool:
    return real_path == directory or real_path.startswith(directory.rstrip(os.sep) + os.sep)


def _forbidden(message: str) -> web.HTTPError:
    # The JSON error body's `message` is what JupyterLab shows; the status line keeps the
    # standard reason phrase (it must stay ASCII, messages may be translated).
    return web.HTTPError(403, message)


def _download_refused() -> web.HTTPError:
    return _forbidden(
        _("Downloading files is disabled in this workspace. Request an output release instead.")
    )


def _refused(refusal: Refusal) -> web.HTTPError:
    return _forbidden(refusal.message)


def _data_content_refused() -> web.HTTPError:
    return _forbidden(
        _(
            "Files in the data directory cannot be opened, copied or moved here; "
            "read them from a notebook (DuckDB, pandas, polars)."
        )
    )


def _closed() -> web.HTTPError:
    return _forbidden(
        _(
            "This is switched off in TRE workspaces (terminals, exports, server configuration, "
            "extension management). Results leave through an output release request."
        )
    )


class ForbiddenHandler(JupyterHandler):
    """Answers 403 to every method: stands in for download endpoints."""

    @allow_unauthenticated  # refuses everyone alike: nothing to authenticate for
    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise _download_refused()

    get = post = put = patch = delete = head = _refuse


class ClosedHandler(JupyterHandler):
    """Answers 403 to every method: stands in for terminals, managers and configuration."""

    @allow_unauthenticated  # refuses everyone alike: nothing to authenticate for
    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise _closed()

    get = post = put = patch = delete = head = _refuse


class GuardedContentsManager(AsyncLargeFileManager):
    """The default file contents manager with the guards listed in the module docstring."""

    @default("notary")
    def _notary_in_home(self) -> NotebookNotary:
        # Jupyter's data path is the image's own and read-only (JUPYTER_DATA_DIR); the
        # notebook-signing secret and database are the analyst's, in the home.
        home_data = os.path.join(os.path.expanduser("~"), ".local", "share", "jupyter")
        os.makedirs(home_data, exist_ok=True)
        return NotebookNotary(parent=self, data_dir=home_data)

    @default("files_handler_class")
    def _default_files_handler(self) -> type[JupyterHandler]:
        return ForbiddenHandler

    @validate("files_handler_class")
    def _always_forbidden(self, proposal: Any) -> type[JupyterHandler]:
        # Configuration cannot bring the raw file handler back.
        return ForbiddenHandler

    @property
    def limits(self) -> Limits:
        return Limits.from_env()

    # -- path checks -------------------------------------------------------------------
    def _size(self, path: str) -> int | None:
        try:
            return os.stat(self._get_os_path(path.strip("/"))).st_size
        except OSError:
            return None  # missing: the manager answers 404 itself

    def _real(self, path: str) -> str:
        return os.path.realpath(self._get_os_path(path.strip("/")))

    def _in_data(self, path: str) -> bool:
        return is_under(self._real(path), data_dir())

    def _tree_touches_data(self, path: str) -> bool:
        """True if `path`, or anything below it (symlinks resolved), is or holds data."""
        data = data_dir()
        root = self._real(path)
        if is_under(root, data) or is_under(data, root):
            return True
        if not os.path.isdir(root):
            return False
        return any(is_under(os.path.realpath(entry), data) for entry in _walk(root))

    def _refuse_if_data(self, *paths: str) -> None:
        if any(self._tree_touches_data(p) for p in paths):
            raise _data_content_refused()

    # -- reads -------------------------------------------------------------------------
    async def get(
        self,
        path: str,
        content: bool = True,
        type: str | None = None,
        format: str | None = None,
        require_hash: bool = False,
    ) -> dict[str, Any]:
        internal = _internal_read.get()
        if content and not internal:
            if format == "base64":
                raise _download_refused()
            if not await self.dir_exists(path):
                if self._in_data(path):
                    raise _data_content_refused()
                refusal = read_refusal(path, self._size(path), self.limits)
                if refusal is not None:
                    raise _refused(refusal)
        model: dict[str, Any] = await super().get(
            path, content=content, type=type, format=format, require_hash=require_hash
        )
        if content and not internal and model.get("format") == "base64":
            raise _download_refused()
        return model

    # -- copies and moves --------------------------------------------------------------
    async def copy(self, from_path: str, to_path: str | None = None) -> dict[str, Any]:
        self._refuse_if_data(from_path)
        if to_path is not None and self._in_data(to_path):
            raise _data_content_refused()
        token = _internal_read.set(True)
        try:
            model: dict[str, Any] = await super().copy(from_path, to_path)
        finally:
            _internal_read.reset(token)
        return model

    async def _copy_dir(
        self, from_path: str, to_path_original: str, to_name: str, to_path: str
    ) -> dict[str, Any]:
        # As upstream, but symlinks are copied as links: never the files they point at.
        os_from_path = self._get_os_path(from_path.strip("/"))
        os_to_path = f"{self._get_os_path(to_path_original.strip('/'))}/{to_name}"
        try:
            shutil.copytree(os_from_path, os_to_path, symlinks=True)
        except OSError as err:
            raise web.HTTPError(400, f"Can't copy '{from_path}' to '{to_path}'") from err
        model: dict[str, Any] = await self.get(to_path, content=False)
        return model

    async def rename_file(self, old_path: str, new_path: str) -> None:
        # A move out of a read-only mount copies before it fails: refuse before it starts.
        self._refuse_if_data(old_path)
        if self._in_data(new_path):
            raise _data_content_refused()
        await super().rename_file(old_path, new_path)

    # -- writes into the data directory (read-only anyway; refuse clearly) -------------
    async def save(self, model: dict[str, Any], path: str = "") -> dict[str, Any]:
        if self._in_data(path):
            raise _data_content_refused()
        if not _internal_read.get():  # a copy inside the workspace: nothing from a browser
            refusal = upload_refusal(path, model, self.limits)
            if refusal is not None:
                raise _refused(refusal)
        saved: dict[str, Any] = await super().save(model, path)
        return saved

    async def delete_file(self, path: str) -> None:
        if self._in_data(path):
            raise _data_content_refused()
        await super().delete_file(path)

    async def create_checkpoint(self, path: str) -> dict[str, Any]:
        self._refuse_if_data(path)
        checkpoint: dict[str, Any] = await super().create_checkpoint(path)
        return checkpoint

    async def restore_checkpoint(self, checkpoint_id: str, path: str) -> None:
        self._refuse_if_data(path)
        await super().restore_checkpoint(checkpoint_id, path)


def _walk(root: str) -> Iterator[str]:
    """Every entry below `root` without following symlinks (they are checked, not entered)."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            yield os.path.join(dirpath, name)


# Endpoints that hand a file or a notebook export to the browser.
DOWNLOAD_PATTERNS = (r"/files/.*", r"/nbconvert/.*", r"/view/.*")
# Endpoints of a shell, server configuration, or what changes the code the page loads.
# Tornado anchors each pattern at the end.
CLOSED_PATTERNS = (
    r"/api/terminals.*",
    r"/terminals/.*",
    r"/api/config.*",
    r"/api/events",  # emitting events; subscribing (/api/events/subscribe) stays
    r"/api/spec\.yaml",
    r"/api/notebooks.*",
    r"/api/security/csp-report",
    r"/metrics",
    r"/lab/api/extensions.*",
    r"/lab/api/plugins.*",
    r"/lab/api/listings.*",
    r"/lab/api/news.*",
    r"/lab/api/update.*",
    # Kernel spec folders are searched in the analyst's home too: only the logos are served.
    r"/kernelspecs/[^/]+/(?!logo-(?:32x32|64x64)\.png$|logo-svg\.svg$).*",
)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "tre.workspace.serverext"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Register the 403 handlers, matched before any other; fail closed if the guarded
    contents manager or the limited kernel connection is not in use."""
    patterns = list(DOWNLOAD_PATTERNS)
    if not isinstance(serverapp.contents_manager, GuardedContentsManager):
        serverapp.log.error(
            "tre: contents manager is %s, not GuardedContentsManager; contents API disabled",
            type(serverapp.contents_manager).__name__,
        )
        patterns.append(r"/api/contents.*")
    connection = serverapp.kernel_websocket_connection_class
    if not (isinstance(connection, type) and issubclass(connection, LimitedChannelsConnection)):
        serverapp.log.error(
            "tre: kernel websocket connection is %s, not LimitedChannelsConnection; "
            "kernel channels disabled",
            getattr(connection, "__name__", connection),
        )
        patterns.append(r"/api/kernels/[^/]+/channels")
    base_url = serverapp.web_app.settings["base_url"]
    router = serverapp.web_app.default_router
    before = list(router.rules)
    serverapp.web_app.add_handlers(
        ".*$",
        [(url_path_join(base_url, pattern), ForbiddenHandler) for pattern in patterns]
        + [(url_path_join(base_url, pattern), ClosedHandler) for pattern in CLOSED_PATTERNS],
    )
    # Tornado matches rule groups in the order added, and extensions loaded earlier (JupyterLab's
    # extension and plugin managers) would win: these refusals go first.
    added = [rule for rule in router.rules if rule not in before]
    router.rules[:] = added + [rule for rule in router.rules if rule not in added]
    serverapp.log.info(
        "tre: download endpoints closed; data directory %s; limits %s",
        data_dir(),
        Limits.from_env().to_env(),
    )
