"""A native HMAC-SHA256 for DuckDB: the `tre_hmac` extension (tre_hmac.c), built here.

Pseudonymising is most of the cost of an ingest or an extract build, and the SQL form of
HMAC (`sha256(K^opad || unhex(sha256(K^ipad || m)))`) hashes four blocks per value with a
software SHA-256. The extension hashes two, with the CPU's SHA instructions (OpenSSL), and
gives the same value: `tre_hmac_sha256(key, prefix, message)` = HMAC(key, prefix || message).

`build()` compiles it with the system C compiler against OpenSSL (Debian: gcc, libssl-dev)
into a per-user cache, named by a hash of the source, the DuckDB version and the platform, so
a changed source or engine is rebuilt and a rebuilt file is written aside and renamed into
place. `connect()` opens a DuckDB connection with the extension loaded when it is available;
without a compiler the callers keep the SQL form (same values, tested), and `status()` says why.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

log = logging.getLogger(__name__)

FUNCTION = "tre_hmac_sha256"
_HERE = Path(__file__).parent
_SOURCE = _HERE / "tre_hmac.c"
_INCLUDE = _HERE / "include"
_NAME = "tre_hmac.duckdb_extension"
# The C extension API version the headers in include/ declare (a minimum engine version).
_CAPI_VERSION = "v1.5.6"
_MAGIC = b"4"
_FIELD = 32
_SIGNATURE = 256
_lock = threading.Lock()


class NativeUnavailable(Exception):
    """The extension could not be built or loaded here (the reason is the message)."""


def _platform() -> str:
    ((name,),) = duckdb.connect().execute("PRAGMA platform").fetchall()
    return str(name)


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tre" / "native"


def _build_id(platform: str) -> str:
    digest = hashlib.sha256(_SOURCE.read_bytes())
    digest.update(f"{duckdb.__version__}|{platform}|{_CAPI_VERSION}".encode())
    return digest.hexdigest()[:16]


def footer(platform: str) -> bytes:
    """The 512-byte metadata DuckDB reads from the end of an extension file: eight 32-byte
    fields stored last-first (magic, platform, C API version, extension version, ABI type,
    then three unused), followed by an empty signature (the extension is loaded unsigned)."""
    fields = [_MAGIC, platform.encode(), _CAPI_VERSION.encode(), b"tre", b"C_STRUCT"]
    fields += [b""] * (8 - len(fields))
    return b"".join(f.ljust(_FIELD, b"\0") for f in reversed(fields)) + b"\0" * _SIGNATURE


def build(out_dir: Path | None = None) -> Path:
    """Compile the extension (if not already in the cache); return its path."""
    platform = _platform()
    out_dir = out_dir or cache_dir() / _build_id(platform)
    target = out_dir / _NAME
    if target.exists():
        return target
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise NativeUnavailable("no C compiler (Debian: apt-get install gcc libssl-dev)")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        library = Path(tmp) / _NAME
        command = [compiler, "-O2", "-shared", "-fPIC", "-fvisibility=hidden"]
        command += ["-I", str(_INCLUDE), str(_SOURCE), "-o", str(library), "-lcrypto"]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            detail = done.stderr.strip().splitlines()[-1:] or ["compiler failed"]
            raise NativeUnavailable(
                f"could not compile {_SOURCE.name} ({detail[0]}); "
                "Debian: apt-get install gcc libssl-dev"
            )
        with library.open("ab") as fh:
            fh.write(footer(platform))
        os.replace(library, target)  # concurrent builders write the same bytes
    return target


def _loads(path: Path) -> None:
    """Raise duckdb.Error unless DuckDB loads the extension at `path` and finds its function."""
    with duckdb.connect(config={"allow_unsigned_extensions": True}) as con:
        con.load_extension(str(path))
        if not loaded(con):
            raise duckdb.InvalidInputException(f"{path.name} does not define {FUNCTION}")


@cache
def _available() -> tuple[Path | None, str]:
    """(extension path, "") once built and loaded in this process, else (None, why not)."""
    try:
        with _lock:
            path = build()
            try:
                _loads(path)
            except duckdb.Error:  # a damaged file in the cache: build it again, once
                path.unlink()
                path = build()
                _loads(path)
    except (NativeUnavailable, OSError, duckdb.Error) as exc:
        log.warning("Pseudonyms are hashed in SQL, about five times more slowly: %s", exc)
        return None, str(exc)
    return path, ""


def status() -> str:
    """'native' when the extension is in use, else why not."""
    path, why = _available()
    return "native" if path else why


def connect(
    database: str = ":memory:", config: dict[str, Any] | None = None
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with `tre_hmac_sha256` loaded if it is available (see `loaded`).

    Loading an unsigned extension needs `allow_unsigned_extensions`, so only connections that
    run the TRE's own SQL (ingest, extract builds) come from here: never an analyst's."""
    path, _why = _available()
    if path is None:
        return duckdb.connect(database, config=config or {})
    con = duckdb.connect(database, config={**(config or {}), "allow_unsigned_extensions": True})
    con.load_extension(str(path))
    return con


def loaded(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether `con` has `tre_hmac_sha256`."""
    rows = con.execute(
        "SELECT count(*) FROM duckdb_functions() WHERE function_name = $1", [FUNCTION]
    ).fetchall()
    return bool(rows[0][0])
