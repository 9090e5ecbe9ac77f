"""A category label or a person's identifier: randomness, a coding system's format, repetition
across rows and what a row counts decide, not the column's name or the codes' length."""

from __future__ import annotations

import string
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from tre.sdc.identifiers import random_tokens

from .helpers import check, rules, write_csv

RNG = np.random.default_rng(1717)


def _tokens(alphabet: str, length: int, n: int = 30) -> list[str]:
    chars = np.array(list(alphabet))
    return ["".join(RNG.choice(chars, length)) for _ in range(n)]


RANDOM: dict[str, Callable[[], list[str]]] = {
    "lowercase and digits, 8": lambda: _tokens(string.ascii_lowercase + string.digits, 8),
    "hexadecimal, 8": lambda: _tokens("0123456789abcdef", 8),
    "letters only, 8": lambda: _tokens(string.ascii_lowercase, 8),
    "base62, 12": lambda: _tokens(string.ascii_letters + string.digits, 12),
    "upper and digits with a hyphen": lambda: [
        f"{t[:4]}-{t[4:]}" for t in _tokens(string.ascii_uppercase + string.digits, 8)
    ],
}
NOT_RANDOM: dict[str, list[str]] = {
    "record numbers": [f"MRN{k:07d}" for k in RNG.integers(0, 10**7, 30)],
    "prefixed serials": [f"P{k:06d}" for k in RNG.integers(0, 10**6, 30)],
    "numbers": [str(k) for k in RNG.integers(10**9, 10**10, 30)],
    "words of one length": ["diabetes", "migraine", "bursitis", "glaucoma", "cataract", "epilepsy"],
    "labels with years": [f"cost_{y}" for y in range(2015, 2024)],
    "JLAC10": [
        "3F077000002327101",
        "3D046000001920402",
        "3B035000002327201",
        "3B045000002327201",
        "3C015000002327101",
        "3D010000002327101",
    ],
    "DPC": [
        "050130xx9900xx",
        "100070xx99x100",
        "040100xxxxx00x",
        "070343xx99x0xx",
        "060130xx99000x",
        "110280xx99000x",
    ],
    "ATC": ["A10BA02", "C09AA05", "N02BE01", "R03AC02", "C10AA05", "B01AC06"],
    "too few to tell": _tokens(string.ascii_lowercase + string.digits, 8, n=4),
}


@pytest.mark.parametrize("kind", list(RANDOM))
def test_tokens_issued_at_random(kind: str) -> None:
    assert random_tokens(pa.array(RANDOM[kind]())).all()


@pytest.mark.parametrize("kind", list(NOT_RANDOM))
def test_formats_words_and_numbers_are_not_random(kind: str) -> None:
    assert not random_tokens(pa.array(NOT_RANDOM[kind])).any()


@pytest.mark.parametrize("header", ["ref", "group", "label", "記号", "x"])
@pytest.mark.parametrize("beside", ["age", "visits", "n"])
def test_short_pseudonyms_block_under_any_name(tmp_path: Path, header: str, beside: str) -> None:
    ids = _tokens(string.ascii_lowercase + string.digits, 8)
    values = RNG.integers(10, 90, len(ids))
    path = write_csv(
        tmp_path / "t.csv",
        [header, beside],
        [[i, int(v)] for i, v in zip(ids, values, strict=True)],
    )
    assert rules(check(path)).get("pseudonym-like") == "block"


def test_short_pseudonyms_as_headers_are_persons_as_columns(tmp_path: Path) -> None:
    heads = _tokens(string.ascii_lowercase, 8, n=6)
    rows = [
        [f"cost_{y}", *[int(v) for v in RNG.integers(1000, 90000, 6)]] for y in range(2019, 2024)
    ]
    report = check(write_csv(tmp_path / "t.csv", ["item", *heads], rows))
    assert rules(report)["transposed-persons"] == "block"


CODES = {
    "JLAC10": NOT_RANDOM["JLAC10"],
    "JLAC10 with hyphens": [
        f"{c[:5]}-{c[5:9]}-{c[9:12]}-{c[12:15]}-{c[15:]}" for c in NOT_RANDOM["JLAC10"]
    ],
    "JLAC10 without the result code": [c[:15] for c in NOT_RANDOM["JLAC10"]],
    "JLAC11": [
        "C2008-0000-250-009-F7",
        "V2341-0403-345-080-02",
        "B3050-0000-023-271-F1",
        "A1010-0000-019-204-F3",
        "D4022-0000-023-399-F2",
    ],
    "DPC": NOT_RANDOM["DPC"],
    "ICD-10 with a description": [
        "E11.9:Type2_diabetes",
        "I10:Hypertension",
        "J45.9-Asthma",
        "K21.9_GERD",
        "N18.3:CKD3",
        "C50.9:Breast_cancer",
    ],
}


@pytest.mark.parametrize("system", list(CODES))
def test_long_codes_of_a_coding_system_beside_counts_pass(tmp_path: Path, system: str) -> None:
    rows = [[code, 40 + 7 * k] for k, code in enumerate(CODES[system])]
    assert check(write_csv(tmp_path / "t.csv", ["item", "n"], rows)).verdict == "pass"


def test_codes_as_headers_of_a_crosstab_pass(tmp_path: Path) -> None:
    rows = [[band, *[30 + k + j for j in range(6)]] for k, band in enumerate(["0-39", "40-64"])]
    path = write_csv(tmp_path / "t.csv", ["age_band", *NOT_RANDOM["JLAC10"]], rows)
    assert check(path).verdict == "pass"


def test_long_numbers_beside_counts_need_a_reason_to_be_categories(tmp_path: Path) -> None:
    numbers = [str(k) for k in RNG.integers(10**12, 10**13, 12)]
    generic = write_csv(tmp_path / "n.csv", ["item", "n"], [[c, 25] for c in numbers])
    assert rules(check(generic))["pseudonym-like"] == "block"  # record numbers until shown
    named = write_csv(tmp_path / "hot.csv", ["HOTコード", "n"], [[c, 25] for c in numbers])
    assert check(named).verdict == "pass"  # the header names a coding system
    groups = write_csv(tmp_path / "g.csv", ["item", "patients"], [[c, 25] for c in numbers])
    assert check(groups).verdict == "pass"  # every row counts 25 people: a group
    one = write_csv(tmp_path / "one.csv", ["item", "patients"], [[c, 1] for c in numbers])
    assert rules(check(one))["pseudonym-like"] == "block"  # one person per row
    repeated = write_csv(
        tmp_path / "r.csv", ["item", "sex", "n"], [[c, s, 25] for c in numbers for s in "FM"]
    )
    assert check(repeated).verdict == "pass"  # a label that repeats across rows


def test_a_header_containing_id_is_not_a_person_column(tmp_path: Path) -> None:
    rows = [[f"13{k:02d}1{k:04d}7", 30 + k] for k in range(12)]
    path = write_csv(tmp_path / "t.csv", ["provider", "patients"], rows)
    assert check(path).verdict == "pass"  # "provider" holds "id", but names no person
