"""Build the workspace image: base (if missing), wheelhouse (if stale), then the image itself.

Contract:
- `build_workspace_image(options, report)` is safe to repeat: an existing base image, an
  up-to-date wheelhouse and Docker's layer cache are all reused, so a rebuild after a code
  change only redoes the last small layer.
- The base is either the local `tre-base:bookworm` (images/base/build.sh, from Debian
  packages: no registry needed) or `python:3.11-slim` from a registry.
- Third-party wheels are downloaded on the host for the image's Python into a gitignored
  wheelhouse (images/workspace/wheelhouse/pypi) and installed with --no-index; the `tre`
  package goes in as its own small wheel (wheelhouse/tre), without dependencies.
- Builds use the Docker CLI with BuildKit (the Python SDK's builder has no `RUN --mount`).
- Without a usable Docker engine or client, a `UserError` says what to install or start.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tre.errors import UserError
from tre.i18n import _
from tre.workspace.wheel import build_tre_wheel

LOCAL_BASE_IMAGE = "tre-base:bookworm"
REGISTRY_BASE_IMAGE = "python:3.11-slim"
DEFAULT_WORKSPACE_IMAGE = "tre-workspace:latest"
# Python of the local base (Debian bookworm's python3); wheels are chosen for it.
LOCAL_BASE_PYTHON = "3.11.2"
REGISTRY_BASE_PYTHON = "3.11"
# Highest manylinux glibc the bases provide (bookworm: glibc 2.36).
MAX_GLIBC_MINOR = 36
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")

BaseKind = Literal["local", "registry"]
Report = Callable[[str, str], None]  # (phase, detail) for progress displays


class DockerUnavailable(UserError):
    """No Docker engine answers, or no client that can build with BuildKit."""


class ImageBuildError(UserError):
    """A build step failed; the message names the step and the log file."""


@dataclass
class BuildOptions:
    base: BaseKind = "local"
    tag: str = DEFAULT_WORKSPACE_IMAGE
    images_dir: Path | None = None
    log_path: Path | None = None


@dataclass
class BuildResult:
    image: str
    base_image: str
    base_built: bool
    wheelhouse_built: bool
    image_id: str
    size_bytes: int
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)


def images_dir() -> Path:
    """The repository's images/ directory (an editable install or a source checkout)."""
    here = Path(__file__).resolve().parents[2] / "images"
    if not (here / "workspace" / "Dockerfile").is_file():
        raise UserError(
            _("The image recipes (images/workspace/Dockerfile) are not next to this installation."),
            hint=_("Run `tre image build` from a clone of the TRE repository."),
        )
    return here


def docker_client() -> str:
    """A docker CLI that builds with BuildKit, after checking that an engine answers."""
    candidates = ["/usr/bin/docker", shutil.which("docker") or ""]
    client = next((c for c in candidates if c and os.access(c, os.X_OK)), None)
    if client is None:
        raise DockerUnavailable(
            _("No Docker client is installed; workspaces need a Docker engine."),
            hint=_("Install it (Debian: apt-get install docker.io) and start dockerd."),
        )
    info = subprocess.run(
        [client, "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True
    )
    if info.returncode != 0 or not info.stdout.strip():
        raise DockerUnavailable(
            _("No Docker engine answers; workspaces need one."),
            hint=_(
                "Start it (e.g. `systemctl start docker`, or `dockerd &` as root) and check "
                "with `docker info`; install it first if missing (Debian: docker.io)."
            ),
        )
    return client


def image_id(client: str, name: str) -> str | None:
    out = subprocess.run(
        [client, "image", "inspect", "--format", "{{.Id}} {{.Size}}", name],
        capture_output=True,
        text=True,
    )
    return out.stdout.split()[0] if out.returncode == 0 and out.stdout.strip() else None


def image_size(client: str, name: str) -> int:
    out = subprocess.run(
        [client, "image", "inspect", "--format", "{{.Size}}", name],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip())


def ensure_base(client: str, images: Path, log: Path, report: Report) -> bool:
    """Build the local base image unless it exists; True if it was built."""
    if image_id(client, LOCAL_BASE_IMAGE):
        return False
    report("base", _("building {image} from Debian packages").format(image=LOCAL_BASE_IMAGE))
    env = dict(os.environ, DOCKER=client)
    _run_logged([str(images / "base" / "build.sh"), LOCAL_BASE_IMAGE], log, env, "base", report)
    return True


def wheel_platforms() -> list[str]:
    arch = platform.machine() or "x86_64"
    tags = [f"manylinux_2_{minor}_{arch}" for minor in range(MAX_GLIBC_MINOR, 16, -1)]
    return [*tags, f"manylinux2014_{arch}", f"linux_{arch}"]


def ensure_wheelhouse(images: Path, python_version: str, log: Path, report: Report) -> bool:
    """Download the wheels of the image's lock (requirements.txt) unless the stamp says so."""
    requirements = images / "workspace" / "requirements.txt"
    target = images / "workspace" / "wheelhouse" / "pypi"
    digest = hashlib.sha256(
        requirements.read_bytes() + f"|{python_version}|{platform.machine()}".encode()
    ).hexdigest()
    stamp = target / ".complete"
    if stamp.is_file() and stamp.read_text().strip() == digest:
        return False
    report("wheelhouse", _("downloading wheels for Python {v}").format(v=python_version))
    target.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--isolated", "--disable-pip-version-check"]
    if CA_BUNDLE.is_file():
        cmd += ["--cert", str(CA_BUNDLE)]
    # The lock pins every package with its hashes: exactly that set, nothing resolved here.
    cmd += ["--require-hashes", "--no-deps", "--only-binary=:all:"]
    cmd += ["--python-version", python_version, "--implementation", "cp"]
    for tag in wheel_platforms():
        cmd += ["--platform", tag]
    cmd += ["-d", str(target), "-r", str(requirements)]
    _run_logged(cmd, log, None, "wheelhouse", report)
    # The stamp is written last: an interrupted download is resumed, never trusted.
    stamp.write_text(digest + "\n")
    return True


_STEP = re.compile(r"^#\d+ \[(?:[\w-]+ )?(\d+)/(\d+)\] (.*)$")


def build_image(
    client: str, images: Path, base_image: str, tag: str, log: Path, report: Report
) -> None:
    context = images / "workspace"
    cmd = [
        client,
        "build",
        "--progress=plain",
        "--build-arg",
        f"BASE_IMAGE={base_image}",
        "--label",
        "org.opencontainers.image.title=tre-workspace",
        "-t",
        tag,
        str(context),
    ]
    env = dict(os.environ, DOCKER_BUILDKIT="1")
    _run_logged(cmd, log, env, "image", report)


def _run_logged(
    cmd: list[str], log: Path, env: dict[str, str] | None, phase: str, report: Report
) -> None:
    """Run `cmd`, appending its output to `log` and reporting BuildKit steps as they start."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as sink:
        sink.write(f"\n$ {' '.join(cmd)}\n")
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            sink.write(line)
            match = _STEP.match(line.strip())
            if match:
                report(phase, f"[{match.group(1)}/{match.group(2)}] {match.group(3)[:70]}")
        code = proc.wait()
    if code != 0:
        raise ImageBuildError(
            _("The {phase} step of the image build failed (exit {code}).").format(
                phase=phase, code=code
            ),
            hint=_("The last lines of {log} say why.").format(log=log),
        )


def build_workspace_image(options: BuildOptions, report: Report) -> BuildResult:
    """Build (or refresh from cache) the workspace image; see the module docstring."""
    started = time.monotonic()
    phases: dict[str, float] = {}
    images = options.images_dir or images_dir()
    log = options.log_path or images / "workspace" / "wheelhouse" / "build.log"
    client = docker_client()

    mark = time.monotonic()
    if options.base == "local":
        base_image, python_version = LOCAL_BASE_IMAGE, LOCAL_BASE_PYTHON
        base_built = ensure_base(client, images, log, report)
    else:
        base_image, python_version, base_built = REGISTRY_BASE_IMAGE, REGISTRY_BASE_PYTHON, False
    phases["base"] = time.monotonic() - mark

    mark = time.monotonic()
    wheelhouse_built = ensure_wheelhouse(images, python_version, log, report)
    report("wheelhouse", _("packaging the tre wheel"))
    build_tre_wheel(images / "workspace" / "wheelhouse" / "tre")
    phases["wheelhouse"] = time.monotonic() - mark

    mark = time.monotonic()
    report("image", _("building {image}").format(image=options.tag))
    previous = image_id(client, options.tag)
    build_image(client, images, base_image, options.tag, log, report)
    phases["image"] = time.monotonic() - mark
    current = image_id(client, options.tag)
    if previous and previous != current:
        # The replaced image would stay behind untagged at every rebuild; docker refuses
        # (harmlessly) while a running workspace still uses it.
        subprocess.run([client, "image", "rm", previous], capture_output=True)

    return BuildResult(
        image=options.tag,
        base_image=base_image,
        base_built=base_built,
        wheelhouse_built=wheelhouse_built,
        image_id=current or "",
        size_bytes=image_size(client, options.tag),
        seconds=round(time.monotonic() - started, 1),
        phases={k: round(v, 1) for k, v in phases.items()},
    )
