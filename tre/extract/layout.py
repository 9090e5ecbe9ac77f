"""Where a project's extracts live, the `current` switch, and garbage collection.

    extracts_path/<project>/builds/<build_id>/     complete builds (never modified)
    extracts_path/<project>/builds/.tmp-<build_id>/ a build being written
    extracts_path/<project>/current  -> builds/<build_id>   the build workspaces mount
    extracts_path/<project>/previous -> builds/<build_id>   the one before it
    extracts_path/<project>/.lock                          held while building or collecting

A build is written under `.tmp-*` and renamed into `builds/` only when complete; `current`
is replaced atomically (a new relative symlink renamed over the old one), so a reader sees
either the old or the new build, never a partial one.

"In use" (kept by `collect_garbage`): the targets of `current` and `previous` (a running
workspace may still have the previous build mounted: a bind mount pins the directory the
symlink named when the container started), plus whatever the providers registered with
`register_in_use_provider` report (the workspace service adds the builds its running
containers mount). Everything else under `builds/` is deleted, including `.tmp-*` left by
interrupted builds (safe: collection holds the project lock that every build holds).
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from tre.config import Settings
from tre.errors import UserError
from tre.i18n import _

TMP_PREFIX = ".tmp-"
_BUILD_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{8}$")
_PROJECT_ID = re.compile(r"^p-[0-9]+$")

InUseProvider = Callable[[Settings, str], set[str]]
_providers: list[InUseProvider] = []


class ExtractBusy(UserError):
    """Another build of the same project is running."""


def valid_project_id(name: str) -> bool:
    return bool(_PROJECT_ID.match(name))


def project_dir(settings: Settings, project_id: str) -> Path:
    if not valid_project_id(project_id):
        raise UserError(
            _("{project} is not a project id.").format(project=project_id),
            hint=_("Project ids look like p-1."),
        )
    return settings.extracts_path / project_id


def builds_dir(settings: Settings, project_id: str) -> Path:
    return project_dir(settings, project_id) / "builds"


def new_build_id() -> str:
    """Sortable by time, unique by a random suffix."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(4)


def _link_target(link: Path) -> str | None:
    try:
        target = os.readlink(link)
    except (FileNotFoundError, OSError):
        return None
    name = Path(target).name
    return name if _BUILD_ID.match(name) else None


def current_build(settings: Settings, project_id: str) -> str | None:
    """The build id `current` points at, or None before the first provisioning."""
    return _link_target(project_dir(settings, project_id) / "current")


def current_path(settings: Settings, project_id: str) -> Path | None:
    """Absolute, resolved directory of the current build (what a workspace mounts)."""
    build = current_build(settings, project_id)
    return builds_dir(settings, project_id) / build if build else None


def _atomic_symlink(link: Path, target: str) -> None:
    tmp = link.with_name(f"{TMP_PREFIX}{link.name}-{secrets.token_hex(4)}")
    os.symlink(target, tmp)
    os.replace(tmp, link)


def publish(settings: Settings, project_id: str, tmp_dir: Path, build_id: str) -> Path:
    """Rename a finished `.tmp-*` build into place and switch `current` to it."""
    final = builds_dir(settings, project_id) / build_id
    os.replace(tmp_dir, final)
    root = project_dir(settings, project_id)
    old = current_build(settings, project_id)
    if old and old != build_id:
        _atomic_symlink(root / "previous", f"builds/{old}")
    _atomic_symlink(root / "current", f"builds/{build_id}")
    _fsync_dir(root)
    return final


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def project_lock(settings: Settings, project_id: str, *, wait: bool = False) -> Iterator[None]:
    """Exclusive per-project lock (released by the OS if the process dies); `wait` for a
    build that holds it instead of failing."""
    root = project_dir(settings, project_id)
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ExtractBusy(
                _("Another build of project {project} is running.").format(project=project_id),
                hint=_("Wait for it to finish, then try again."),
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def register_in_use_provider(provider: InUseProvider) -> None:
    """Add a source of build ids that must not be deleted (e.g. mounted by a workspace)."""
    if provider not in _providers:
        _providers.append(provider)


def in_use_builds(settings: Settings, project_id: str) -> set[str]:
    """Build ids that garbage collection keeps (see module doc)."""
    root = project_dir(settings, project_id)
    used = {b for b in (_link_target(root / "current"), _link_target(root / "previous")) if b}
    for provider in _providers:
        used |= provider(settings, project_id)
    return used


def collect_garbage(settings: Settings, project_id: str) -> list[str]:
    """Delete builds not in use and leftovers of interrupted builds; caller holds the lock."""
    return _delete_builds(settings, project_id, keep=in_use_builds(settings, project_id))


def remove_all(settings: Settings, project_id: str) -> list[str]:
    """Delete every build of a project and its `current`/`previous` switches, in use or not
    (a revoked project's workspaces are being stopped); caller holds the lock."""
    root = project_dir(settings, project_id)
    for name in ("current", "previous"):
        (root / name).unlink(missing_ok=True)
    return _delete_builds(settings, project_id, keep=set())


def _delete_builds(settings: Settings, project_id: str, keep: set[str]) -> list[str]:
    """Delete the builds (and `.tmp-*` leftovers) not in `keep`; return their names."""
    root = builds_dir(settings, project_id)
    removed = []
    for entry in sorted(root.iterdir()) if root.is_dir() else []:
        if entry.name in keep:
            continue
        if entry.name.startswith(TMP_PREFIX) or _BUILD_ID.match(entry.name):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    for stray in project_dir(settings, project_id).glob(f"{TMP_PREFIX}*"):
        stray.unlink(missing_ok=True)  # a temp symlink from an interrupted switch
    return removed
