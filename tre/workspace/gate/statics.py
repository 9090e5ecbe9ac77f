"""The static files of a workspace image, by URL path below a server's prefix, with hashes.

JupyterLab's page loads about 5 MB of scripts and styles from the workspace server. The gate
passes such a file only if its bytes are those of the same path in the image the container
runs, so a server made to answer with something else (whoever controls port 8888 in the
container) cannot use these routes as a channel, and the bulk of JupyterLab's traffic need
not be metered.

The manifest is made once per image, by running the image itself (no network, no
capability, as the analyst's uid, nothing mounted) with a short script that asks Jupyter where
it serves static files from, as the server would, and hashes them. It is cached under
`<TRE_HOME>/hub/static-manifests/<image id>.json` (written aside, then renamed).
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

# Run inside the image: which files the server would serve under which path, and their hashes.
# The first root that holds a path wins, as in Jupyter's own file finder.
MANIFEST_SCRIPT = r"""
import hashlib, json, os
import jupyter_server
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_core.paths import jupyter_path
from jupyterlab.commands import get_app_dir

out = {}
def walk(root, prefix):
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            full = os.path.join(dirpath, name)
            key = prefix + os.path.relpath(full, root).replace(os.sep, "/")
            if key in out or not os.path.isfile(full):
                continue
            with open(full, "rb") as fh:
                data = fh.read()
            out[key] = [len(data), hashlib.sha256(data).hexdigest()]

walk(os.path.join(get_app_dir(), "static"), "static/lab/")
walk(jupyter_server.DEFAULT_STATIC_FILES_PATH, "static/")
for root in jupyter_path("labextensions"):
    walk(root, "lab/extensions/")
for name, root in sorted(KernelSpecManager().find_kernel_specs().items()):
    walk(root, "kernelspecs/%s/" % name)
if "static/favicon.ico" in out:
    out["favicon.ico"] = out["static/favicon.ico"]
print(json.dumps(out, sort_keys=True))
"""

Manifest = dict[str, tuple[int, str]]


class ManifestError(RuntimeError):
    """The image's static files could not be listed (the image lacks Python or Jupyter)."""


def cache_dir(hub_dir: Path) -> Path:
    return hub_dir / "static-manifests"


def _cache_file(directory: Path, image_id: str) -> Path:
    return directory / (image_id.replace(":", "-").replace("/", "-") + ".json")


def _parse(text: str) -> Manifest:
    raw: dict[str, Any] = json.loads(text)
    return {str(k): (int(v[0]), str(v[1])) for k, v in raw.items()}


def build_manifest(client: Any, image_id: str, labels: dict[str, str]) -> Manifest:
    """Run the image once to list and hash its static files (blocking; seconds)."""
    try:
        output = client.containers.run(
            image_id,
            ["python", "-c", MANIFEST_SCRIPT],
            remove=True,
            network_disabled=True,
            user="1000:1000",
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            environment={"JUPYTER_CONFIG_DIR": "/etc/jupyter", "HOME": "/nonexistent"},
            labels={"tre.workspace.manifest": "1", **labels},
            stdout=True,
            stderr=False,
        )
    except Exception as exc:  # docker.errors.ContainerError, ImageNotFound, APIError
        raise ManifestError(f"cannot list the static files of {image_id}: {exc}") from exc
    try:
        return _parse(output.decode("utf-8"))
    except (ValueError, TypeError, IndexError) as exc:
        raise ManifestError(f"the static file list of {image_id} is not JSON") from exc


class Manifests:
    """Manifests by image id: from the cache directory, else built once (concurrent asks wait
    for the same build)."""

    def __init__(self, client: Any, directory: Path, labels: dict[str, str]) -> None:
        self.client = client
        self.directory = directory
        self.labels = labels
        self._known: dict[str, Manifest] = {}
        self._building: dict[str, asyncio.Task[Manifest]] = {}

    async def get(self, image_id: str) -> Manifest:
        if image_id in self._known:
            return self._known[image_id]
        task = self._building.get(image_id)
        if task is None:
            task = asyncio.ensure_future(asyncio.to_thread(self._load_or_build, image_id))
            self._building[image_id] = task
        try:
            manifest = await asyncio.shield(task)
        finally:
            if task.done():
                self._building.pop(image_id, None)
        self._known[image_id] = manifest
        return manifest

    def _load_or_build(self, image_id: str) -> Manifest:
        path = _cache_file(self.directory, image_id)
        if path.exists():
            try:
                return _parse(path.read_text())
            except (ValueError, TypeError, IndexError):
                pass  # damaged: build it again
        manifest = build_manifest(self.client, image_id, self.labels)
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({k: list(v) for k, v in manifest.items()}, sort_keys=True))
        tmp.replace(path)
        return manifest
