"""The content-addressed store: names are hashes, writes are atomic, objects never change."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tre.airlock.store import ContentStore, StoreCorrupted
from tre.errors import NotFound


def test_put_is_addressed_by_hash_and_idempotent(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "s")
    digest = store.put_bytes(b"a,b\n1,2\n")
    assert digest == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert store.path(digest) == tmp_path / "s" / digest[:2] / digest
    assert store.put_bytes(b"a,b\n1,2\n") == digest
    assert list((tmp_path / "s" / ".staging").iterdir()) == []
    with store.open(digest) as fh:
        assert fh.read() == b"a,b\n1,2\n"


def test_objects_are_read_only(tmp_path: Path) -> None:
    store = ContentStore(tmp_path)
    digest = store.put_bytes(b"x")
    assert store.path(digest).stat().st_mode & 0o222 == 0


def test_verify_detects_tampering(tmp_path: Path) -> None:
    store = ContentStore(tmp_path)
    digest = store.put_bytes(b"x")
    path = store.path(digest)
    path.chmod(0o644)
    path.write_bytes(b"y")
    with pytest.raises(StoreCorrupted):
        store.verify(digest)


@pytest.mark.parametrize("bad", ["", "../../etc/passwd", "ab", "Z" * 64, "a" * 63 + "/"])
def test_bad_digests_are_not_found(tmp_path: Path, bad: str) -> None:
    store = ContentStore(tmp_path)
    assert not store.exists(bad)
    with pytest.raises(NotFound):
        store.open(bad)


def test_aborted_write_leaves_nothing(tmp_path: Path) -> None:
    store = ContentStore(tmp_path)
    with pytest.raises(RuntimeError), store.writer() as (fh, _tmp):
        fh.write(b"partial")
        raise RuntimeError("interrupted")
    assert list((tmp_path / ".staging").iterdir()) == []
