"""Safe copying of a file from a project's `outputs/` into the content-addressed store.

Everything under `outputs/` is written by the analyst's container and is hostile input.
The path is opened one component at a time with `O_NOFOLLOW` relative to the outputs
directory's own descriptor, so no symlink (anywhere in the path) and no `..` can lead
outside it, and a swap between check and open cannot either. Only regular files with a
single link are read, in chunks, with a size cap enforced while reading (a file growing
under us is caught). The copy goes to a staging file, is fsync'd, checked, and renamed into
the store; a refusal leaves nothing behind and never touches `outputs/`.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tre.airlock import filetypes
from tre.airlock.store import CHUNK, ContentStore
from tre.errors import InputError
from tre.i18n import _
from tre.sdc import filetype

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_TABLE_ROWS = 100_000
MAX_PATH_DEPTH = 8


class IntakeRefused(InputError):
    """A file was refused at the airlock; `code` names the reason for programs and tests."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.code = code


@dataclass(frozen=True)
class StoredFile:
    """What the airlock keeps about one accepted file."""

    path: str  # relative to outputs/, POSIX separators
    sha256: str
    size: int
    detected_type: str
    rows: int | None  # lines of a table (incl. header), None for other kinds


def check_relative_path(relpath: str) -> PurePosixPath:
    """Validate the name of a file under outputs/; refuse traversal and odd characters."""
    bad_hint = _("Name a file inside outputs/ by its relative path, e.g. tables/counts.csv.")
    if not relpath or "\x00" in relpath or "\\" in relpath:
        raise IntakeRefused("bad_name", _("The file name is empty or malformed."), bad_hint)
    if any(unicodedata.category(ch).startswith("C") for ch in relpath):
        raise IntakeRefused("bad_name", _("The file name contains control characters."), bad_hint)
    pure = PurePosixPath(relpath)
    if pure.is_absolute():
        raise IntakeRefused("outside_outputs", _("Absolute paths are refused."), bad_hint)
    parts = pure.parts
    if any(p in ("..", ".") for p in relpath.split("/")) or not parts:
        raise IntakeRefused(
            "outside_outputs", _("The path leaves the outputs directory ('..')."), bad_hint
        )
    if len(parts) > MAX_PATH_DEPTH:
        raise IntakeRefused("bad_name", _("The path is nested too deeply."), bad_hint)
    return pure


def _open_confined(root: Path, rel: PurePosixPath) -> int:
    """Open `root/rel` for reading without following any symlink; return the fd."""
    root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    fd = root_fd
    try:
        for i, part in enumerate(rel.parts):
            last = i == len(rel.parts) - 1
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
            flags |= os.O_NONBLOCK if last else os.O_DIRECTORY
            if last:
                _refuse_special(fd, part, rel)
            try:
                nxt = os.open(part, flags, dir_fd=fd)
            except FileNotFoundError:
                raise IntakeRefused(
                    "missing",
                    _("There is no file '{path}' in outputs/.").format(path=str(rel)),
                    _("Check the name; only files under outputs/ can be submitted."),
                ) from None
            except OSError as exc:  # ELOOP: a symlink; ENOTDIR: a symlink or file as a dir
                st = os.stat(part, dir_fd=fd, follow_symlinks=False)
                if stat.S_ISLNK(st.st_mode):
                    raise IntakeRefused(
                        "symlink",
                        _("'{path}' is or goes through a symbolic link.").format(path=str(rel)),
                        _("Links are refused; copy the real file into outputs/."),
                    ) from None
                raise IntakeRefused(
                    "unreadable",
                    _("'{path}' cannot be opened ({why}).").format(
                        path=str(rel), why=exc.strerror or type(exc).__name__
                    ),
                ) from None
            if fd != root_fd:
                os.close(fd)
            fd = nxt
        return fd
    except BaseException:
        if fd != root_fd:
            os.close(fd)
        raise
    finally:
        os.close(root_fd)


def _refuse_special(dir_fd: int, name: str, rel: PurePosixPath) -> None:
    """Refuse links, devices and pipes before opening them (opening may have effects)."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return  # reported by the open that follows
    if stat.S_ISLNK(st.st_mode):
        raise IntakeRefused(
            "symlink",
            _("'{path}' is or goes through a symbolic link.").format(path=str(rel)),
            _("Links are refused; copy the real file into outputs/."),
        )
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        raise _not_regular(rel)


def _not_regular(rel: PurePosixPath) -> IntakeRefused:
    return IntakeRefused(
        "not_regular",
        _("'{path}' is not a regular file (a device, pipe or socket).").format(path=str(rel)),
        _("Only ordinary files can be released."),
    )


def _check_opened(fd: int, rel: PurePosixPath, max_bytes: int) -> os.stat_result:
    st = os.fstat(fd)
    if stat.S_ISDIR(st.st_mode):
        raise IntakeRefused(
            "directory",
            _("'{path}' is a directory.").format(path=str(rel)),
            _("Pick the files inside it one by one."),
        )
    if not stat.S_ISREG(st.st_mode):
        raise _not_regular(rel)
    if st.st_nlink > 1:
        raise IntakeRefused(
            "hard_link",
            _("'{path}' has other hard links, so it may be a link to data.").format(path=str(rel)),
            _("Write a fresh copy of the file into outputs/."),
        )
    if st.st_size > max_bytes:
        raise _too_large(rel, max_bytes)
    if st.st_size == 0:
        raise IntakeRefused(
            "empty",
            _("'{path}' is empty: there is nothing to release.").format(path=str(rel)),
        )
    return st


def _too_large(rel: PurePosixPath, max_bytes: int) -> IntakeRefused:
    return IntakeRefused(
        "too_large",
        _("'{path}' is larger than the limit of {limit} MiB.").format(
            path=str(rel), limit=max_bytes // (1024 * 1024)
        ),
        _("Release aggregates, not data; split or summarise the output."),
    )


def _sidecar_refused(rel: PurePosixPath) -> IntakeRefused:
    return IntakeRefused(
        "sidecar",
        _("'{path}' is a provenance sidecar, which is never released.").format(path=str(rel)),
        _("Submit the table itself; its sidecar is read by the airlock automatically."),
    )


def intake_file(
    outputs_root: Path,
    relpath: str,
    store: ContentStore,
    *,
    max_bytes: int = MAX_FILE_BYTES,
    max_table_rows: int = MAX_TABLE_ROWS,
    allowed_types: frozenset[str] | None = None,
    provenance_sidecar: bool = False,
) -> StoredFile:
    """Copy `outputs_root/relpath` into `store` and describe it, or raise IntakeRefused.

    `allowed_types` (names like ``csv``, ``png``, ``jpeg``; from the project's tier) narrows
    the accepted extensions further. A provenance sidecar (`<file>` + `SIDECAR_SUFFIX`, or JSON that
    says it is one) holds per-cell top contributions: it is refused as a file for release
    and taken in only as a table's sidecar (`provenance_sidecar=True`), which is never
    released.
    """
    rel = check_relative_path(relpath)
    if not provenance_sidecar and filetypes.is_sidecar_name(rel.name):
        raise _sidecar_refused(rel)
    root = outputs_root.resolve(strict=True)
    fd = _open_confined(root, rel)
    try:
        _check_opened(fd, rel, max_bytes)
        with store.writer() as (out, tmp):
            digest, size, head, utf8_ok, newlines, tail = _copy(fd, out, rel, max_bytes)
            out.flush()
            os.fsync(out.fileno())
            kind = _classify(tmp, rel, head, utf8_ok, allowed_types)
            if not provenance_sidecar and kind == "json" and filetypes.is_sidecar_content(tmp):
                raise _sidecar_refused(rel)
            rows = None
            if kind in ("csv", "tsv"):
                rows = newlines + (0 if tail == b"\n" else 1)
                _check_table(tmp, rel, kind, newlines, max_table_rows)
            store.commit(tmp, digest)
    finally:
        os.close(fd)
    return StoredFile(str(rel), digest, size, kind, rows)


def _copy(
    fd: int, out: object, rel: PurePosixPath, max_bytes: int
) -> tuple[str, int, bytes, bool, int, bytes]:
    sha = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8_ok = True
    size = newlines = 0
    head = tail = b""
    write = out.write  # type: ignore[attr-defined]
    while chunk := os.read(fd, CHUNK):
        size += len(chunk)
        if size > max_bytes:  # grew while we read
            raise _too_large(rel, max_bytes)
        if len(head) < 8192:
            head += chunk[: 8192 - len(head)]
        sha.update(chunk)
        newlines += chunk.count(b"\n")
        if utf8_ok:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                utf8_ok = False
        write(chunk)
        tail = chunk[-1:]
    if utf8_ok:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok = False
    if size == 0:
        raise IntakeRefused(
            "empty", _("'{path}' is empty: there is nothing to release.").format(path=str(rel))
        )
    return sha.hexdigest(), size, head, utf8_ok, newlines, tail


def _classify(
    tmp: Path, rel: PurePosixPath, head: bytes, utf8_ok: bool, allowed: frozenset[str] | None
) -> str:
    ext = rel.suffix.lower()
    expected = filetypes.ACCEPTED.get(ext)
    type_name = ext.lstrip(".").replace("jpg", "jpeg")
    if expected is not None and allowed is not None and type_name not in allowed:
        expected = None
    kind = filetypes.sniff(head, utf8_ok)
    if kind in filetype.ARCHIVE_KINDS:
        raise IntakeRefused(
            "archive",
            _("'{path}' is a compressed archive; reviewers cannot see inside it.").format(
                path=str(rel)
            ),
            _("Submit the files themselves, uncompressed."),
        )
    if kind in filetype.FORBIDDEN_KINDS:
        raise IntakeRefused(
            "forbidden_format",
            _("'{path}' holds {kind} content, which is never released.").format(
                path=str(rel), kind=kind
            ),
            _("Export aggregate results as CSV or Parquet."),
        )
    if expected is None:
        raise IntakeRefused(
            "extension",
            _("Files of type '{ext}' are not accepted.").format(ext=ext or _("(none)")),
            _("Accepted: {exts}.").format(exts=", ".join(sorted(filetypes.ACCEPTED))),
        )
    if kind == "invalid_utf8" and expected in filetypes.TEXT_KINDS:
        raise IntakeRefused(
            "invalid_utf8",
            _("'{path}' is not valid UTF-8 text.").format(path=str(rel)),
            _("Save the file as UTF-8."),
        )
    if not filetypes.content_fits(kind, expected):
        raise IntakeRefused(
            "type_mismatch",
            _("'{path}' is named {ext} but its content is {kind}.").format(
                path=str(rel), ext=ext, kind=kind
            ),
            _("Give the file the extension that matches its content."),
        )
    if expected in ("svg", "html") and filetypes.has_active_content(tmp):
        raise IntakeRefused(
            "active_content",
            _("'{path}' contains scripts, event handlers or external links.").format(path=str(rel)),
            _("Export a static image (PNG) or plain HTML without scripts."),
        )
    return expected


def _check_table(
    tmp: Path, rel: PurePosixPath, kind: str, newlines: int, max_table_rows: int
) -> None:
    if newlines > max_table_rows:
        raise IntakeRefused(
            "too_many_rows",
            _("'{path}' has more than {limit} rows: that looks like record-level data.").format(
                path=str(rel), limit=max_table_rows
            ),
            _("Release aggregated tables only."),
        )
    formulas = filetypes.formula_cells(tmp, kind)
    if formulas is None:
        raise IntakeRefused(
            "malformed_table",
            _("'{path}' is not a well-formed table.").format(path=str(rel)),
            _("Every row needs the same number of columns; quote fields that contain commas."),
        )
    if formulas:
        raise IntakeRefused(
            "formula",
            _("'{path}' has {n} cells that a spreadsheet would run as formulas.").format(
                path=str(rel), n=formulas
            ),
            _("Remove leading =, +, -, @ from text cells, or prefix them with a quote."),
        )
