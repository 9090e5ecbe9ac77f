"""Keyed pseudonyms: HMAC-SHA256 under the lake key, computed inside DuckDB.

On a connection from `tre.native.connect` with the `tre_hmac` extension loaded, the macros
call its `tre_hmac_sha256`. Otherwise the standard two-pass construction (RFC 2104) runs
vectorised in SQL with DuckDB's `sha256()`, five times slower, same values:

    HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m))

`install_hmac(con, key)` stores the key (or the two padded keys) in session variables (bound
as prepared parameters, so the key never appears in SQL text or in an error message echoing
SQL) and defines the macro `lake_hmac(msg VARCHAR) -> VARCHAR` (64 lower-case hex digits),
equal to `hmac.new(key, msg.encode(), sha256).hexdigest()`.

This module stays pure: no file I/O, only DuckDB connections handed in.
"""

from __future__ import annotations

import hashlib
import hmac
import re

import duckdb

from tre import native

_BLOCK = 64  # SHA-256 block size in bytes
_SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def hmac_hex(key: bytes, message: str) -> str:
    """Reference implementation (one value at a time): for single ids such as an opt-out."""
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def person_pseudonym(key: bytes, namespace: str, identifier: str) -> str:
    """Lake person pseudonym: HMAC(key, namespace + "|" + identifier)."""
    return hmac_hex(key, f"{namespace}|{identifier}")


def resource_pseudonym(key: bytes, source: str, resource_type: str, resource_id: str) -> str:
    """Keyed id of any other resource: HMAC(key, source + "|" + type + "/" + id)."""
    return hmac_hex(key, f"{source}|{resource_type}/{resource_id}")


def padded_keys(key: bytes) -> tuple[bytes, bytes]:
    """(K ^ ipad, K ^ opad) for a key of at most one block."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    block = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def install_hmac(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Define `lake_hmac(msg)` on `con`, keyed by `key` (never inlined in SQL text).

    The key lives in session variables set through prepared parameters; reading them with
    `getvariable()` lets DuckDB fold them into constants (a scalar subquery over a key table
    would be joined per chunk).
    """
    if native.loaded(con):
        con.execute("SET VARIABLE lake_key = $1::BLOB", [key])
        con.execute(
            "CREATE OR REPLACE TEMP MACRO lake_hmac(msg) AS "
            f"{native.FUNCTION}(getvariable('lake_key'), ''::BLOB, msg)"
        )
        return
    inner, outer = padded_keys(key)
    con.execute("SET VARIABLE lake_ipad = $1::BLOB", [inner])
    con.execute("SET VARIABLE lake_opad = $1::BLOB", [outer])
    # encode() turns VARCHAR into its UTF-8 bytes (a ::BLOB cast would interpret escapes).
    con.execute(
        "CREATE OR REPLACE TEMP MACRO lake_hmac(msg) AS "
        "sha256(getvariable('lake_opad') || "
        "unhex(sha256(getvariable('lake_ipad') || encode(msg))))"
    )


def install_prefixed_hmac(
    con: duckdb.DuckDBPyConnection, key: bytes, prefixes: dict[str, str]
) -> None:
    """Also define `lake_hmac_prefixed(name, msg)` = HMAC(key, prefixes[name] + msg).

    Most pseudonyms share a constant prefix per column (`source|Encounter/`): passed apart
    from the message, it is hashed once per chunk by the native function; in SQL, the inner
    block `(K ^ ipad) || prefix` is computed once here, saving a concatenation and an
    encoding per row. `name` must be a constant at each call site.
    """
    install_hmac(con, key)
    if native.loaded(con):
        for name, prefix in prefixes.items():
            con.execute(f"SET VARIABLE lake_pfx_{name} = $1::BLOB", [prefix.encode("utf-8")])
        con.execute(
            "CREATE OR REPLACE TEMP MACRO lake_hmac_prefixed(prefix_name, msg) AS "
            f"{native.FUNCTION}(getvariable('lake_key'), getvariable('lake_pfx_' || prefix_name), "
            "msg)"
        )
        return
    inner, _outer = padded_keys(key)
    for name, prefix in prefixes.items():
        con.execute(f"SET VARIABLE lake_pre_{name} = $1::BLOB", [inner + prefix.encode("utf-8")])
    con.execute(
        "CREATE OR REPLACE TEMP MACRO lake_hmac_prefixed(prefix_name, msg) AS "
        "sha256(getvariable('lake_opad') || "
        "unhex(sha256(getvariable('lake_pre_' || prefix_name) || encode(msg))))"
    )


def check_source_name(source: str) -> bool:
    """Source names become part of pseudonyms, paths and SQL literals: keep them simple."""
    return bool(_SOURCE_NAME.match(source))
