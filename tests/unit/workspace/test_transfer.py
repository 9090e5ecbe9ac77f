"""The rules of what may cross between a workspace and the browser (tre.workspace.transfer)."""

from __future__ import annotations

import base64
import json

import pytest

from tre.workspace.transfer import (
    LIMITS_ENV,
    MIB,
    Bucket,
    Kind,
    Limits,
    kind_of,
    read_refusal,
    upload_refusal,
)

LIMITS = Limits()
PARQUET_MAGIC = b"PAR1" + bytes(range(256)) + b"PAR1"


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("a.ipynb", Kind.NOTEBOOK),
        ("dir/A.IPYNB", Kind.NOTEBOOK),
        ("x.py", Kind.TEXT),
        ("model.R", Kind.TEXT),
        ("q.SQL", Kind.TEXT),
        ("notes.md", Kind.TEXT),
        ("settings.json", Kind.TEXT),
        ("rows.csv", Kind.OTHER),
        ("data/patients.parquet", Kind.OTHER),
        ("results", Kind.OTHER),
        ("x.py.csv", Kind.OTHER),
        ("folder.py/", Kind.TEXT),
    ],
)
def test_kind_by_name(path: str, kind: Kind) -> None:
    assert kind_of(path) is kind


def test_limits_travel_in_one_variable_and_garbage_means_defaults() -> None:
    limits = Limits(text_max_bytes=1000, notebook_max_bytes=2000)
    assert Limits.from_env({LIMITS_ENV: limits.to_env()}) == limits
    assert Limits.from_env({}) == Limits()
    assert Limits.from_env({LIMITS_ENV: "not json"}) == Limits()
    hostile = json.dumps({"text_max_bytes": -1, "notebook_max_bytes": "9", "other": 5})
    assert Limits.from_env({LIMITS_ENV: hostile}) == Limits()


def test_reads_only_notebooks_and_code_within_caps() -> None:
    assert read_refusal("rows.csv", 10, LIMITS).reason == "file-type"  # type: ignore[union-attr]
    assert "airlock" in read_refusal("rows.csv", 10, LIMITS).message  # type: ignore[union-attr]
    big = LIMITS.text_max_bytes + 1
    assert read_refusal("dump.txt", big, LIMITS).reason == "too-large"  # type: ignore[union-attr]
    assert read_refusal("ok.py", LIMITS.text_max_bytes, LIMITS) is None
    assert read_refusal("nb.ipynb", 5 * MIB, LIMITS) is None
    too_big = LIMITS.notebook_max_bytes + 1
    assert read_refusal("nb.ipynb", too_big, LIMITS).reason == "too-large"  # type: ignore[union-attr]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_uploads_of_data_are_refused() -> None:
    twenty_mib = _b64(b"n,1\n" * (5 * MIB))
    cases = {
        "big.ipynb": {"type": "file", "format": "base64", "content": twenty_mib},
        "rows.csv": {"type": "file", "format": "text", "content": "id,age\n1,50\n"},
        "part.py": {"type": "file", "format": "base64", "content": _b64(b"x"), "chunk": 1},
        "last.py": {"type": "file", "format": "base64", "content": _b64(b"x"), "chunk": -1},
        "disguised.py": {"type": "file", "format": "base64", "content": _b64(PARQUET_MAGIC)},
        "broken.py": {"type": "file", "format": "base64", "content": "!!not base64!!"},
        "nb.py": {"type": "notebook", "format": "json", "content": {"cells": []}},
    }
    reasons = {path: upload_refusal(path, model, LIMITS) for path, model in cases.items()}
    assert {path: r.reason if r else None for path, r in reasons.items()} == {
        "big.ipynb": "too-large",
        "rows.csv": "file-type",
        "part.py": "chunked",
        "last.py": "chunked",
        "disguised.py": "not-text",
        "broken.py": "not-text",
        "nb.py": "file-type",
    }


def test_code_and_notebooks_are_accepted_within_caps() -> None:
    code = "print('こんにちは')\n" * 100
    notebook = {"cells": [{"cell_type": "code", "source": "1 + 1"}], "nbformat": 4}
    accepted = {
        "a.py": {"type": "file", "format": "text", "content": code},
        "up.py": {"type": "file", "format": "base64", "content": _b64(code.encode())},
        "nb.ipynb": {"type": "notebook", "format": "json", "content": notebook},
        "up.ipynb": {
            "type": "file",
            "format": "base64",
            "content": _b64(json.dumps(notebook).encode()),
        },
        "new.csv": {"type": "file", "format": "text", "content": ""},  # an empty new file
        "renamed.csv": {"path": "renamed.csv"},  # a rename carries no content
        "folder": {"type": "directory"},
    }
    for path, model in accepted.items():
        assert upload_refusal(path, model, LIMITS) is None, path


def test_text_is_measured_in_utf8_bytes() -> None:
    limits = Limits(text_max_bytes=30)
    assert upload_refusal("a.py", {"format": "text", "content": "あ" * 10}, limits) is None
    refused = upload_refusal("a.py", {"format": "text", "content": "あ" * 11}, limits)
    assert refused is not None and refused.reason == "too-large"


def test_bucket_drops_or_delays_beyond_the_burst() -> None:
    bucket = Bucket(rate=100, burst=1000, now=0.0)
    assert bucket.try_take(1000, now=0.0)
    assert not bucket.try_take(1, now=0.0)
    assert bucket.try_take(100, now=1.0)  # one second refills 100
    paced = Bucket(rate=100, burst=1000, now=0.0)
    assert paced.debt(1000, now=0.0) == 0.0
    assert paced.debt(500, now=0.0) == pytest.approx(5.0)  # 500 bytes at 100/s
    assert paced.debt(100, now=5.0) == pytest.approx(1.0)  # the first debt was paid by then
