"""What may cross between a workspace and the analyst's browser: file kinds, caps, checks.

The browser gets what editing code needs and nothing else: the content of notebooks and of
code or text files, each within a size cap, and kernel output within a size and a rate.
These rules have one owner, this module, and are applied on both sides of the boundary:

- inside the container by the Jupyter server extension (`tre.workspace.serverext`), which
  refuses early with a message JupyterLab shows;
- in the control plane by the workspace gate (`tre.workspace.gate`), which holds them whatever
  the server in the container does.

A file's size is the size of its content: UTF-8 bytes for text, the compact JSON of a
notebook, the decoded bytes of base64. Standard library and `tre.i18n` only: the image
installs `tre` without its dependencies.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import posixpath
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from enum import Enum
from typing import Any

from tre.i18n import _

KIB = 1024
MIB = 1024 * KIB

NOTEBOOK_SUFFIX = ".ipynb"
# Code and text an analyst edits in JupyterLab (compared in lower case: `.R` is `.r`).
TEXT_SUFFIXES = (".py", ".sql", ".r", ".md", ".txt", ".json")
# Room for the JSON model around a file's content (name, path, times, hash, ...).
ENVELOPE_BYTES = 4 * KIB
# Above this, a read or upload of file content is written to the audit log.
USAGE_RECORD_BYTES = 64 * KIB

LIMITS_ENV = "TRE_WORKSPACE_LIMITS"


class Kind(Enum):
    NOTEBOOK = "notebook"
    TEXT = "text"
    OTHER = "other"


@dataclass(frozen=True)
class Limits:
    """Caps on what crosses between a workspace and the browser (bytes, bytes per second).

    Each field is the setting `workspace_<field>` (`tre.workspace.limits`). The control plane
    hands them to the container in `TRE_WORKSPACE_LIMITS`, so both sides hold the same
    figures. Output is kernel messages to the browser; transfer is every other byte that is
    not a file of the image, either way.
    """

    text_max_bytes: int = 256 * KIB
    notebook_max_bytes: int = 8 * MIB
    output_max_bytes: int = 1 * MIB
    output_rate_bytes: int = 32 * KIB
    output_burst_bytes: int = 4 * MIB
    transfer_rate_bytes: int = 64 * KIB
    transfer_burst_bytes: int = 16 * MIB

    def to_env(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """The limits the spawner gave this container; the defaults if none (or garbled)."""
        raw = (environ if environ is not None else os.environ).get(LIMITS_ENV, "")
        try:
            given = json.loads(raw) if raw else {}
        except ValueError:
            given = {}
        names = {f.name for f in fields(cls)}
        values = {
            k: int(v) for k, v in given.items() if k in names and isinstance(v, int) and v > 0
        }
        return cls(**values)

    def cap(self, kind: Kind) -> int | None:
        """Largest content of a file of `kind` the browser may read or write (None: none)."""
        if kind is Kind.NOTEBOOK:
            return self.notebook_max_bytes
        if kind is Kind.TEXT:
            return self.text_max_bytes
        return None


@dataclass(frozen=True)
class Refusal:
    """Why something may not cross: a stable code for the audit log, a message for people."""

    reason: str
    message: str


def kind_of(path: str) -> Kind:
    suffix = posixpath.splitext(path.rstrip("/"))[1].lower()
    if suffix == NOTEBOOK_SUFFIX:
        return Kind.NOTEBOOK
    if suffix in TEXT_SUFFIXES:
        return Kind.TEXT
    return Kind.OTHER


def human_bytes(size: int) -> str:
    if size >= MIB:
        return f"{size / MIB:.1f} MiB".replace(".0 ", " ")
    if size >= KIB:
        return f"{size / KIB:.0f} KiB"
    return f"{size} B"


def _allowed_list() -> str:
    return " ".join((NOTEBOOK_SUFFIX, *TEXT_SUFFIXES))


def _kind_label(kind: Kind) -> str:
    return _("notebook") if kind is Kind.NOTEBOOK else _("code or text file")


def read_refusal(path: str, size: int | None, limits: Limits) -> Refusal | None:
    """Why the browser may not be sent the content of the file at `path` (None: it may)."""
    name = posixpath.basename(path.rstrip("/"))
    kind = kind_of(path)
    cap = limits.cap(kind)
    if cap is None:
        return Refusal(
            "file-type",
            _(
                "{name} cannot be opened in the browser: only notebooks and code or text "
                "files ({allowed}) can. Results leave the TRE through an output release "
                "request (the airlock)."
            ).format(name=name, allowed=_allowed_list()),
        )
    if size is not None and size > cap:
        return too_large(name, kind, size, cap)
    return None


def too_large(name: str, kind: Kind, size: int | None, cap: int) -> Refusal:
    """`size` None: larger than the cap by an unknown amount (reading stopped at the cap)."""
    advice = _(
        "Keep data in the workspace and read it from a notebook; results leave through an "
        "output release request (the airlock)."
    )
    if size is None:
        text = _("{name} is over the {limit} limit for a {kind} in the browser.").format(
            name=name, limit=human_bytes(cap), kind=_kind_label(kind)
        )
    else:
        text = _("{name} is {size}, over the {limit} limit for a {kind} in the browser.").format(
            name=name, size=human_bytes(size), limit=human_bytes(cap), kind=_kind_label(kind)
        )
    return Refusal("too-large", f"{text} {advice}")


def decoded_content(model: Mapping[str, Any]) -> bytes | str | None:
    """The content of a contents-API model as the bytes or text it stands for (None: none).

    Raises ValueError when base64 content does not decode.
    """
    content = model.get("content")
    if content is None:
        return None
    fmt = model.get("format")
    if fmt == "base64":
        if not isinstance(content, str):
            raise ValueError("base64 content must be a string")
        try:
            return base64.b64decode(content.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise ValueError("content is not base64") from exc
    if isinstance(content, str):
        return content
    return json.dumps(content, ensure_ascii=False, separators=(",", ":"))


def content_size(content: bytes | str) -> int:
    return len(content) if isinstance(content, bytes) else len(content.encode("utf-8"))


def is_text(content: bytes | str) -> bool:
    """Code and notebooks are UTF-8 text without NUL bytes; data files (Parquet, ...) are not."""
    if isinstance(content, str):
        return "\x00" not in content
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return "\x00" not in text


def upload_refusal(path: str, model: Mapping[str, Any], limits: Limits) -> Refusal | None:
    """Why the browser may not write `model` to `path` (None: it may).

    Creating, copying and renaming carry no content and pass. Content may be written only to
    a notebook or a code or text file, as text (base64 only if it decodes to text), whole
    (never in chunks) and within the cap of its kind.
    """
    name = posixpath.basename(path.rstrip("/"))
    kind = kind_of(path)
    cap = limits.cap(kind)
    if model.get("chunk") is not None:
        return Refusal(
            "chunked",
            _(
                "Uploads in parts are not accepted: a workspace takes only notebooks up to "
                "{notebook} and code or text files up to {text}."
            ).format(
                notebook=human_bytes(limits.notebook_max_bytes),
                text=human_bytes(limits.text_max_bytes),
            ),
        )
    if model.get("content") in (None, ""):  # creating, copying, renaming: nothing crosses
        return None
    if cap is None or model.get("type") == "directory":
        return Refusal(
            "file-type",
            _(
                "{name} cannot be uploaded or saved from the browser: only notebooks and code "
                "or text files ({allowed}) can. Data reaches a workspace only through the "
                "project's extract."
            ).format(name=name, allowed=_allowed_list()),
        )
    if model.get("type") == "notebook" and kind is not Kind.NOTEBOOK:
        return Refusal("file-type", _("A notebook must be saved under a name ending in .ipynb."))
    try:
        content = decoded_content(model)
    except ValueError:
        content = b"\x00"
    assert content is not None
    size = content_size(content)
    if size > cap:
        return too_large(name, kind, size, cap)
    if not is_text(content):
        return Refusal(
            "not-text",
            _(
                "{name} is not text: only code and notebooks can be uploaded into a workspace. "
                "Data reaches a workspace only through the project's extract."
            ).format(name=name),
        )
    return None


def output_too_large(size: int, limits: Limits) -> str:
    return _(
        "Output of {size} not shown: a single output may be at most {limit} in the browser. "
        "Write large results to a file in ~/outputs and request an output release."
    ).format(size=human_bytes(size), limit=human_bytes(limits.output_max_bytes))


def output_paused(limits: Limits) -> str:
    return _(
        "Output paused: a workspace sends at most {rate}/s of output to the browser after a "
        "burst of {burst}. Output beyond that is not shown. Write large results to a file in "
        "~/outputs and request an output release."
    ).format(
        rate=human_bytes(limits.output_rate_bytes), burst=human_bytes(limits.output_burst_bytes)
    )


def input_too_large(size: int, limits: Limits) -> str:
    return _(
        "This message to the kernel is {size}; code sent from the browser may be at most "
        "{limit}. Data reaches a workspace only through the project's extract."
    ).format(size=human_bytes(size), limit=human_bytes(limits.text_max_bytes))


class Bucket:
    """A token bucket of bytes: `rate` per second, holding at most `burst`.

    Time is passed in (monotonic seconds), so both sides and the tests drive it alike.
    `try_take` is for the container, which drops output it may not send; `debt` is for the
    gate, which sends everything, late: it returns how long to wait before sending.
    """

    def __init__(self, rate: int, burst: int, now: float) -> None:
        self.rate = max(1, rate)
        self.burst = max(1, burst)
        self.tokens = float(self.burst)
        self.stamp = now

    def _refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = max(self.stamp, now)

    def try_take(self, size: int, now: float) -> bool:
        self._refill(now)
        if size > self.tokens:
            return False
        self.tokens -= size
        return True

    def debt(self, size: int, now: float) -> float:
        """Take `size` (going into debt if need be); seconds until the debt is paid."""
        self._refill(now)
        self.tokens -= size
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate
