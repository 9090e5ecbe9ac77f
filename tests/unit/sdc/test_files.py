"""File level: type by content, size, encodings, delimiters, markup, images."""

import gzip
import io
import json
import os
import pickle
import sqlite3
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tre.sdc import SdcParams

from .helpers import check, rules, write_csv

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40


def big_counts(n_rows: int = 3) -> list[list[object]]:
    return [[f"g{i}", 20 + i, 30 + i] for i in range(n_rows)]


def test_safe_csv_passes(tmp_path: Path) -> None:
    report = check(write_csv(tmp_path / "t.csv", ["group", "a", "b"], big_counts()))
    assert report.detected_type == "csv"
    assert report.verdict == "pass", report.findings


def test_tsv_semicolon_crlf_quotes_and_bom(tmp_path: Path) -> None:
    tsv = write_csv(tmp_path / "t.tsv", ["group", "a", "b"], big_counts(), sep="\t")
    assert check(tsv).detected_type == "tsv"
    semi = tmp_path / "s.csv"
    semi.write_bytes(b'\xef\xbb\xbfgroup;a;b\r\n"x;y";20;30\r\n"multi\nline";40;50\r\n')
    report = check(semi)
    assert report.detected_type == "csv"
    assert rules(report) == {"encoding": "info"}  # BOM noted, table read and safe


def test_utf16_with_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_bytes("group,a\nx,3\ny,40\n".encode("utf-16"))
    assert rules(check(path))["threshold"] == "block"


def test_invalid_utf8_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"group,a\n\xff\xfe\xfd\x80\x81,20\n")
    report = check(path)
    assert report.verdict == "block"
    assert rules(report)["encoding"] == "block"


def test_shift_jis_is_read_but_flagged(tmp_path: Path) -> None:
    path = tmp_path / "sjis.csv"
    path.write_bytes("都道府県,人数\n東京都,5\n大阪府,50\n".encode("cp932"))
    found = rules(check(path))
    assert found["encoding"] == "review"
    assert found["threshold"] == "block"


@pytest.mark.parametrize("name", ["data.csv", "data.txt", "data.json"])
def test_parquet_disguised_as_text_is_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    pq.write_table(pa.table({"a": [1, 2]}), path)
    report = check(path)
    assert report.detected_type == "parquet"
    assert rules(report)["disguised-type"] == "block"


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("inner.csv", "a,b\n1,2\n")
    return buf.getvalue()


def _sqlite(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("create table t(a)")
    con.commit()
    con.close()


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (_zip_bytes(), "zip"),
        (pickle.dumps({"a": 1}, protocol=4), "pickle"),
        (gzip.compress(b"a,b\n1,2\n"), "gzip"),
        (b"%PDF-1.7\n...", "pdf"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 60, "executable"),
    ],
)
def test_binary_under_text_extension_is_blocked(tmp_path: Path, content: bytes, kind: str) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    report = check(path)
    assert report.detected_type == kind
    assert report.verdict == "block"


def test_sqlite_renamed_csv(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    _sqlite(path)
    report = check(path)
    assert report.detected_type == "sqlite" and report.verdict == "block"


def test_images_need_review_never_pass(tmp_path: Path) -> None:
    for name, data, kind in [("plot.png", PNG, "png"), ("plot.jpg", JPEG, "jpeg")]:
        path = tmp_path / name
        path.write_bytes(data)
        report = check(path)
        assert report.detected_type == kind
        assert report.verdict == "review"


def test_png_named_csv_is_disguised(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(PNG)
    assert rules(check(path))["disguised-type"] == "block"


def test_image_type_not_allowed_in_tier(tmp_path: Path) -> None:
    path = tmp_path / "plot.png"
    path.write_bytes(PNG)
    params = SdcParams.from_mapping({"allowed_types": ["csv"]})
    assert rules(check(path, params))["type-not-allowed"] == "block"


@pytest.mark.parametrize(
    "markup",
    [
        "<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>',
        "<svg><script>fetch('x')</script></svg>",
    ],
)
def test_markup_with_script_is_blocked(tmp_path: Path, markup: str) -> None:
    path = tmp_path / "figure.txt"
    path.write_text(markup)
    found = rules(check(path))
    assert found["active-content"] == "block"


def test_free_text_markdown_and_notebooks_need_review(tmp_path: Path) -> None:
    (tmp_path / "n.txt").write_text("The cohort was described in the protocol.\n")
    (tmp_path / "r.md").write_text("# Results\n\nSee table 1.\n")
    (tmp_path / "a.ipynb").write_text(json.dumps({"cells": [], "nbformat": 4}))
    assert check(tmp_path / "n.txt").verdict == "review"
    assert check(tmp_path / "r.md").verdict == "review"
    assert check(tmp_path / "a.ipynb").verdict in ("review", "block")
    assert rules(check(tmp_path / "a.ipynb"))["manual-review"] == "review"


def test_json_records_are_checked_as_a_table(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps([{"region": "A", "n": 4}, {"region": "B", "n": 40}]))
    report = check(path)
    assert report.detected_type == "json"
    assert rules(report)["threshold"] == "block"


def test_size_limit_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    write_csv(path, ["group", "a", "b"], big_counts(200))
    params = SdcParams.from_mapping({"max_file_bytes": 100})
    assert rules(check(path, params))["size"] == "block"


def test_empty_symlink_and_missing(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    assert check(tmp_path / "empty.csv").verdict == "review"
    target = write_csv(tmp_path / "t.csv", ["group", "a", "b"], big_counts())
    os.symlink(target, tmp_path / "link.csv")
    assert rules(check(tmp_path / "link.csv"))["not-a-file"] == "block"
    assert check(tmp_path / "missing.csv").verdict == "block"


def test_store_path_uses_declared_name(tmp_path: Path) -> None:
    stored = tmp_path / "ab12cd"
    pq.write_table(pa.table({"a": [1]}), stored)
    report = check(stored, filename="table.csv")
    assert rules(report)["disguised-type"] == "block"


def test_formula_injection(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "f.csv",
        ["group", "note", "n"],
        [
            ["a", '=HYPERLINK("http://x")', 20],
            ["b", "+cmd|' /C calc'!A0", 30],
            ["c", "@SUM(A1)", 40],
            ["d", "-2+3", 50],
            ["e", "-5", 60],
            ["f", "+81", 70],
        ],
    )
    report = check(path)
    found = {c for f in report.findings if f.rule == "formula-injection" for c in f.cells}
    assert found == {(0, "note"), (1, "note"), (2, "note"), (3, "note")}


def test_messages_never_carry_cell_values(tmp_path: Path) -> None:
    secret = "SECRETVALUE123"
    path = write_csv(tmp_path / "f.csv", ["group", "n"], [[f"={secret}", 3]])
    for finding in check(path).findings:
        assert secret not in finding.message


def test_deeply_nested_json_is_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    assert check(path).verdict in ("review", "block")
