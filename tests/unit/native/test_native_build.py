"""The native HMAC extension: how it is built, cached and described to DuckDB."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from tre import native


def _fields(footer: bytes) -> list[str]:
    """The metadata fields as DuckDB's ParseExtensionMetaData reads them (last-first)."""
    fields = [footer[i * 32 : (i + 1) * 32].rstrip(b"\0").decode() for i in range(8)]
    return list(reversed(fields))


def test_footer_is_what_duckdb_reads() -> None:
    footer = native.footer("linux_amd64")
    assert len(footer) == 512
    magic, platform, capi, version, abi = _fields(footer)[:5]
    assert (magic, platform, abi) == ("4", "linux_amd64", "C_STRUCT")
    assert capi.startswith("v1.") and version


@pytest.mark.native
def test_build_is_cached_and_loads_as_an_unsigned_extension(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = native.build(tmp_path)
    stamp = first.stat().st_mtime_ns
    monkeypatch.setenv("CC", "/bin/false")  # a second build must not compile again
    assert native.build(tmp_path) == first and first.stat().st_mtime_ns == stamp
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.name]  # nothing left aside
    ((platform,),) = duckdb.connect().execute("PRAGMA platform").fetchall()
    assert first.read_bytes()[-512:] == native.footer(platform)
    with pytest.raises(duckdb.Error):  # the default configuration refuses it
        duckdb.connect().load_extension(str(first))
    con = duckdb.connect(config={"allow_unsigned_extensions": True})
    con.load_extension(str(first))
    assert native.loaded(con)


def test_a_failed_build_says_what_is_missing_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CC", "/bin/false")
    with pytest.raises(native.NativeUnavailable, match="libssl-dev"):
        native.build(tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_without_the_extension_connections_are_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(native, "_available", lambda: (None, "no compiler"))
    con = native.connect()
    assert not native.loaded(con)
    assert native.status() == "no compiler"
    setting = con.execute("SELECT current_setting('allow_unsigned_extensions')").fetchone()
    assert setting == (False,)


def test_cache_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert native.cache_dir() == tmp_path / "tre" / "native"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert native.cache_dir() == Path(os.path.expanduser("~")) / ".cache" / "tre" / "native"


@pytest.mark.native
def test_a_damaged_cached_build_is_replaced(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = native.build()
    assert path.is_relative_to(tmp_path)
    path.write_bytes(b"\0" * 1024)  # e.g. a disk that filled up
    found, why = native._available.__wrapped__()
    assert (found, why) == (path, "")
    assert path.read_bytes()[-512:] == native.footer(
        duckdb.connect().execute("PRAGMA platform").fetchall()[0][0]
    )


def test_an_unwritable_cache_falls_back_to_sql(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    found, why = native._available.__wrapped__()
    assert found is None and why
