"""Hostile files at the airlock's door: each is refused with a clear reason, and nothing in
outputs/ is lost and nothing half-written reaches the store (see the `refuse` fixture)."""

from __future__ import annotations

import csv
import os
import pickle
import socket
import sqlite3
import stat
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tre.airlock.intake import IntakeRefused, intake_file
from tre.airlock.store import ContentStore

Refuse = Callable[..., IntakeRefused]


# --- paths that leave outputs/ ----------------------------------------------------------
@pytest.mark.parametrize(
    "relpath",
    ["../secret.csv", "tables/../../secret.csv", "./../secret.csv", "a/./../../../x.csv"],
)
def test_traversal(outputs: Path, refuse: Refuse, relpath: str) -> None:
    (outputs.parent / "secret.csv").write_text("a\n1\n")
    (outputs / "tables").mkdir()
    err = refuse(relpath, "outside_outputs")
    assert "outputs" in err.message


def test_absolute_path(refuse: Refuse) -> None:
    refuse("/etc/passwd", "outside_outputs")


@pytest.mark.parametrize("relpath", ["a\x00.csv", "..\\..\\x.csv", "", "t\x1b[31m.csv"])
def test_malformed_names(outputs: Path, refuse: Refuse, relpath: str) -> None:
    refuse(relpath, "bad_name")


def test_missing_file(refuse: Refuse) -> None:
    err = refuse("nope.csv", "missing")
    assert "nope.csv" in err.message


# --- links and special files ------------------------------------------------------------
def test_symlink_to_data_mount(outputs: Path, data_mount: Path, refuse: Refuse) -> None:
    (outputs / "result.parquet").symlink_to(data_mount / "patients.parquet")
    err = refuse("result.parquet", "symlink")
    assert "link" in err.message


def test_symlink_to_system_file(outputs: Path, refuse: Refuse) -> None:
    (outputs / "passwd.txt").symlink_to("/etc/passwd")
    refuse("passwd.txt", "symlink")


def test_symlinked_directory_into_data(outputs: Path, data_mount: Path, refuse: Refuse) -> None:
    (outputs / "tables").symlink_to(data_mount)
    refuse("tables/patients.csv", "symlink")


def test_relative_symlink_escaping(outputs: Path, data_mount: Path, refuse: Refuse) -> None:
    rel = os.path.relpath(data_mount / "patients.csv", outputs)
    (outputs / "counts.csv").symlink_to(rel)
    refuse("counts.csv", "symlink")


def test_symlink_to_device(outputs: Path, refuse: Refuse) -> None:
    (outputs / "null.csv").symlink_to("/dev/null")
    refuse("null.csv", "symlink")


def test_hard_link_to_data(outputs: Path, data_mount: Path, refuse: Refuse) -> None:
    os.link(data_mount / "patients.csv", outputs / "counts.csv")
    err = refuse("counts.csv", "hard_link")
    assert "hard link" in err.message


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root")
def test_character_device(outputs: Path, refuse: Refuse) -> None:
    os.mknod(outputs / "dev.csv", 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # like /dev/null
    refuse("dev.csv", "not_regular")


def test_fifo_does_not_hang(outputs: Path, refuse: Refuse) -> None:
    os.mkfifo(outputs / "pipe.csv")
    refuse("pipe.csv", "not_regular")


def test_unix_socket(outputs: Path, refuse: Refuse) -> None:
    path = outputs / "s.csv"
    if len(str(path)) > 100:
        pytest.skip("socket path too long for AF_UNIX")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        refuse("s.csv", "not_regular")


def test_directory(outputs: Path, refuse: Refuse) -> None:
    (outputs / "tables.csv").mkdir()
    refuse("tables.csv", "directory")


# --- size ---------------------------------------------------------------------------------
def test_two_gib_sparse_file(outputs: Path, refuse: Refuse) -> None:
    subprocess.run(["truncate", "-s", "2G", str(outputs / "big.csv")], check=True)
    err = refuse("big.csv", "too_large")
    assert "MiB" in err.message


def test_over_a_small_cap(outputs: Path, refuse: Refuse) -> None:
    (outputs / "t.csv").write_text("a\n" + "1\n" * 1000)
    refuse("t.csv", "too_large", max_bytes=100)


def test_million_row_csv(outputs: Path, refuse: Refuse) -> None:
    with (outputs / "rows.csv").open("w") as fh:
        fh.write("code,value\n")
        fh.write("".join(f"{i},1\n" for i in range(1_000_000)))
    err = refuse("rows.csv", "too_many_rows")
    assert "record-level" in err.message


def test_empty_file(outputs: Path, refuse: Refuse) -> None:
    (outputs / "empty.csv").touch()
    refuse("empty.csv", "empty")


# --- content that is not what its name says --------------------------------------------
def _parquet(path: Path) -> None:
    pq.write_table(pa.table({"person_id": ["a", "b"], "age": [40, 50]}), path)


def test_zip_archive(outputs: Path, refuse: Refuse) -> None:
    with zipfile.ZipFile(outputs / "results.zip", "w") as zf:
        zf.writestr("counts.csv", "a\n1\n")
    refuse("results.zip", "archive")


def test_zip_named_csv(outputs: Path, refuse: Refuse) -> None:
    with zipfile.ZipFile(outputs / "counts.csv", "w") as zf:
        zf.writestr("rows.csv", "a\n1\n")
    refuse("counts.csv", "archive")


def test_gzip_named_txt(outputs: Path, refuse: Refuse) -> None:
    import gzip

    (outputs / "notes.txt").write_bytes(gzip.compress(b"person_id\nabc\n"))
    refuse("notes.txt", "archive")


def test_parquet_named_csv(outputs: Path, refuse: Refuse) -> None:
    _parquet(outputs / "counts.csv")
    err = refuse("counts.csv", "type_mismatch")
    assert "parquet" in err.message


def test_sqlite_named_txt(outputs: Path, refuse: Refuse) -> None:
    con = sqlite3.connect(outputs / "notes.txt")
    con.execute("create table t (person_id text)")
    con.commit()
    con.close()
    refuse("notes.txt", "forbidden_format")


def test_pickle_named_txt(outputs: Path, refuse: Refuse) -> None:
    (outputs / "model.txt").write_bytes(pickle.dumps({"coef": [1.0, 2.0]}, protocol=4))
    refuse("model.txt", "forbidden_format")


def test_pickle_named_csv_with_old_protocol(outputs: Path, refuse: Refuse) -> None:
    (outputs / "model.csv").write_bytes(pickle.dumps([1, 2], protocol=2))
    refuse("model.csv", "forbidden_format")


def test_executable_named_png(outputs: Path, refuse: Refuse) -> None:
    (outputs / "plot.png").write_bytes(Path("/bin/true").read_bytes()[:4096])
    refuse("plot.png", "forbidden_format")


def test_text_named_png(outputs: Path, refuse: Refuse) -> None:
    (outputs / "plot.png").write_text("person_id\nabc\n")
    refuse("plot.png", "type_mismatch")


@pytest.mark.parametrize("name", ["analysis.py", "book.xlsx", "data.pkl", "noext"])
def test_unaccepted_extension(outputs: Path, refuse: Refuse, name: str) -> None:
    (outputs / name).write_text("x = 1\n")
    refuse(name, "extension")


# --- text that is unsafe to open --------------------------------------------------------
def test_invalid_utf8(outputs: Path, refuse: Refuse) -> None:
    (outputs / "counts.csv").write_bytes("group,n\n東京,12\n".encode("shift_jis"))
    err = refuse("counts.csv", "invalid_utf8")
    assert "UTF-8" in err.message


@pytest.mark.parametrize(
    "cell", ['=HYPERLINK("http://x","y")', "@SUM(A1:A2)", "+cmd|' /C calc'!A0", "-2+3+cmd"]
)
def test_formula_injection(outputs: Path, refuse: Refuse, cell: str) -> None:
    with (outputs / "counts.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows([["group", "n"], [cell, "12"], ["b", "15"]])
    refuse("counts.csv", "formula")


def test_formula_in_header(outputs: Path, refuse: Refuse) -> None:
    (outputs / "counts.tsv").write_text("group\t=1+1\na\t12\n")
    refuse("counts.tsv", "formula")


def test_ragged_table(outputs: Path, refuse: Refuse) -> None:
    (outputs / "counts.csv").write_text("group,n\na,12,extra,more\nb\n")
    refuse("counts.csv", "malformed_table")


def test_html_with_script(outputs: Path, refuse: Refuse) -> None:
    (outputs / "report.html").write_text(
        "<!doctype html><html><body><p>ok</p><script>fetch('/x')</script></body></html>"
    )
    refuse("report.html", "active_content")


def test_html_with_event_handler(outputs: Path, refuse: Refuse) -> None:
    (outputs / "report.html").write_text('<html><body><img src=x onerror="alert(1)"></body></html>')
    refuse("report.html", "active_content")


def test_svg_with_script(outputs: Path, refuse: Refuse) -> None:
    (outputs / "plot.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    )
    refuse("plot.svg", "active_content")


def test_svg_with_external_reference(outputs: Path, refuse: Refuse) -> None:
    (outputs / "plot.svg").write_text(
        '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" '
        'xmlns:xlink="http://www.w3.org/1999/xlink"><image xlink:href="https://x/y.png"/></svg>'
    )
    refuse("plot.svg", "active_content")


def test_html_named_txt_is_not_text(outputs: Path, refuse: Refuse) -> None:
    (outputs / "notes.txt").write_text("<html><body><script>x()</script></body></html>")
    refuse("notes.txt", "type_mismatch")


# --- what is accepted, and kept exactly as submitted ------------------------------------
def test_bom_and_crlf_kept_byte_for_byte(outputs: Path, store: ContentStore) -> None:
    data = "\ufeffgroup,n\r\na,12\r\nb,15\r\n".encode()
    (outputs / "counts.csv").write_bytes(data)
    stored = intake_file(outputs, "counts.csv", store)
    assert stored.detected_type == "csv" and stored.rows == 3 and stored.size == len(data)
    assert store.path(stored.sha256).read_bytes() == data


def test_negative_numbers_are_not_formulas(outputs: Path, store: ContentStore) -> None:
    (outputs / "coef.csv").write_text("term,estimate\nage,-0.25\nsex,-.5\nx,+1.5\n")
    assert intake_file(outputs, "coef.csv", store).detected_type == "csv"


def test_parquet_and_nested_path(outputs: Path, store: ContentStore) -> None:
    (outputs / "tables").mkdir()
    _parquet(outputs / "tables" / "t.parquet")
    stored = intake_file(outputs, "tables/t.parquet", store)
    assert stored.path == "tables/t.parquet" and stored.detected_type == "parquet"
    assert stored.rows is None


def test_static_svg_accepted(outputs: Path, store: ContentStore) -> None:
    (outputs / "plot.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg"><rect width="10" height="10"/></svg>'
    )
    assert intake_file(outputs, "plot.svg", store).detected_type == "svg"


def test_file_changed_after_intake_does_not_change_the_copy(
    outputs: Path, store: ContentStore
) -> None:
    (outputs / "counts.csv").write_text("group,n\na,12\n")
    stored = intake_file(outputs, "counts.csv", store)
    (outputs / "counts.csv").write_text("group,n\na,1\n")
    assert store.path(stored.sha256).read_text() == "group,n\na,12\n"
    store.verify(stored.sha256)


# --- provenance sidecars hold per-cell top contributions: never released ----------------
SIDECAR = '{"tre_sidecar": 1, "sql": "SELECT 1", "contributors": {"cells": [[1, 2]]}}'


def test_sidecar_by_name_is_refused(outputs: Path, refuse: Refuse) -> None:
    (outputs / "counts.csv.tre.json").write_text(SIDECAR)
    err = refuse("counts.csv.tre.json", "sidecar")
    assert "never released" in err.message


def test_sidecar_renamed_is_refused_by_content(outputs: Path, refuse: Refuse) -> None:
    (outputs / "summary.json").write_text(SIDECAR)
    refuse("summary.json", "sidecar")


def test_sidecar_name_in_upper_case_is_refused(outputs: Path, refuse: Refuse) -> None:
    (outputs / "COUNTS.CSV.TRE.JSON").write_text("{}")
    refuse("COUNTS.CSV.TRE.JSON", "sidecar")


def test_ordinary_json_is_accepted(outputs: Path, store: ContentStore) -> None:
    (outputs / "model.json").write_text('{"terms": ["age", "sex"], "df": 120}')
    assert intake_file(outputs, "model.json", store).detected_type == "json"
