"""Read checkpoints to verify against, from a file or an http(s) URL.

Accepted, whatever the source: the checkpoints file (JSON Lines, `{"checkpoint": note}`),
the portal's `audit-checkpoints.json` (one JSON object, or one per line as a collector
appends them; its other fields are ignored, keys are never taken from a source), and signed
notes as text, one after another (as copied from the register page). Anything else is an
InputError naming the source and the line; the checkpoints' signatures are checked later,
against keys the verifier trusts. Sources are read as a stream of lines, so a checkpoints
file of any length is checked without holding it in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tre.checkpoint import note, store
from tre.checkpoint.note import NoteError
from tre.checkpoint.statement import Checkpoint
from tre.errors import InputError
from tre.i18n import _

MAX_DOCUMENT_BYTES = 64 * 1024 * 1024  # a single (pretty-printed) JSON document
FETCH_TIMEOUT_SECONDS = 30

# (line number, text without its newline, whether the newline was there)
Line = tuple[int, str, bool]


@dataclass(frozen=True)
class SourceCheckpoint:
    """One checkpoint as found: its line, the signed note and the checkpoint it carries."""

    line: int
    note: note.Note
    checkpoint: Checkpoint


def is_url(spec: str) -> bool:
    return spec.startswith(("http://", "https://"))


def _file_lines(path: Path) -> Iterator[Line]:
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        raise InputError(
            _("There is no checkpoints file at {source}.").format(source=path),
            hint=_(
                "Run `tre init` to create the signing key and the first checkpoint, or "
                "name a copy with --checkpoints."
            ),
        ) from None
    except IsADirectoryError:
        raise InputError(_("{source} is a folder, not a file.").format(source=path)) from None
    except OSError as exc:
        raise InputError(
            _("{source} cannot be read ({error}).").format(
                source=path, error=exc.strerror or type(exc).__name__
            )
        ) from None
    with fh:
        for number, raw in enumerate(fh, start=1):
            yield number, _text(raw, path), raw.endswith(b"\n")


def _url_lines(url: str) -> Iterator[Line]:
    try:
        with httpx.stream("GET", url, timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=True) as r:
            if r.status_code != 200:
                raise InputError(
                    _("{url} answered HTTP {status}, not the checkpoints.").format(
                        url=url, status=r.status_code
                    ),
                    hint=_(
                        "Check the address; the portal serves them at "
                        "/services/portal/register/audit-checkpoints.json."
                    ),
                )
            for number, line in enumerate(r.iter_lines(), start=1):
                yield number, line, True
    except httpx.HTTPError as exc:
        raise InputError(
            _("The checkpoints could not be fetched from {url} ({error}).").format(
                url=url, error=type(exc).__name__
            ),
            hint=_("Check the address and that the server answers."),
        ) from None


def _text(raw: bytes, where: object) -> str:
    try:
        return raw.decode("utf-8").removeprefix("\ufeff").rstrip("\r\n")
    except UnicodeDecodeError:
        raise InputError(_("{source} is not UTF-8 text.").format(source=where)) from None


def _entry_note(value: Any) -> str | None:
    """The note of one JSON entry; None for an endpoint that has published nothing yet."""
    if isinstance(value, dict) and store.CHECKPOINT_KEY in value:
        found = value[store.CHECKPOINT_KEY]
        if found is None or isinstance(found, str):
            return found
    raise ValueError("not an object with a checkpoint")


def _json_notes(first: Line, rest: Iterator[Line]) -> Iterator[tuple[int, str]]:
    """JSON Lines, or a single (perhaps pretty-printed) JSON document."""
    try:
        value = json.loads(first[1])
    except ValueError:
        text, size = [first[1]], len(first[1])
        for _number, line, _ended in rest:
            size += len(line) + 1
            if size > MAX_DOCUMENT_BYTES:
                raise ValueError("a JSON document over 64 MiB") from None
            text.append(line)
        value = json.loads("\n".join(text))
        for entry in value if isinstance(value, list) else [value]:
            if (signed := _entry_note(entry)) is not None:
                yield first[0], signed
        return
    if (signed := _entry_note(value)) is not None:
        yield first[0], signed
    for number, line, ended in rest:
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            if not ended:  # a writer's torn last line: never a checkpoint
                return
            raise
        if (signed := _entry_note(value)) is not None:
            yield number, signed


def _text_notes(first: Line, rest: Iterator[Line]) -> Iterator[tuple[int, str]]:
    """Signed notes one after another: text lines, a blank line, signature lines."""
    start, lines = first[0], [first[1]]
    blank_seen = False
    for number, line, _ended in rest:
        if blank_seen and not line.startswith(note.SIGNATURE_PREFIX):
            yield start, "\n".join(lines) + "\n"
            lines, blank_seen = [], False
        if not lines:
            start = number
            if not line.strip():
                continue
        elif not line:
            blank_seen = True
        lines.append(line)
    if lines:
        yield start, "\n".join(lines) + "\n"


def _checkpoints(lines: Iterator[Line], where: str) -> Iterator[SourceCheckpoint]:
    first = next((line for line in lines if line[1].strip()), None)
    if first is None:
        return
    notes = _json_notes if first[1].lstrip().startswith(("{", "[")) else _text_notes
    try:
        for number, signed in notes(first, lines):
            try:
                parsed = note.parse(signed)
                checkpoint = Checkpoint.parse(parsed.text)
            except NoteError as exc:
                raise InputError(
                    _("Line {line} of {source} is not a signed checkpoint: {error}.").format(
                        line=number, source=where, error=exc
                    )
                ) from None
            yield SourceCheckpoint(number, parsed, checkpoint)
    except ValueError as exc:
        raise InputError(
            _("{source} is not a checkpoints file ({error}).").format(source=where, error=exc),
            hint=_("Give the checkpoints file, audit-checkpoints.json or signed notes."),
        ) from None


def read(spec: str) -> Iterator[SourceCheckpoint]:
    """The checkpoints at `spec` (a file path or an http(s) URL), read as they stream in."""
    lines = _url_lines(spec) if is_url(spec) else _file_lines(Path(spec))
    return _checkpoints(lines, spec)
