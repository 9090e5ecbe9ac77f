"""The name rules on their own: NFKC, ICU's TR39 skeletons (a conformance check of the pairs
the airlock relies on), and lengths in bytes."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from tre.airlock import names


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("report.csv", "rep\u043ert.csv"),  # Cyrillic о
        ("paypal", "\u0440\u0430ypal"),  # Cyrillic р and а
        ("file1.csv", "filel.csv"),
        ("modern", "rnodern"),
        ("O0.csv", "OO.csv"),
        ("Counts.csv", "counts.csv"),  # case
        ("a/b.csv", "\u0430/b.csv"),  # in a folder's name
    ],
)
def test_look_alikes_are_confusable(a: str, b: str) -> None:
    assert names.confusable_with(names.normal_form(b), [names.normal_form(a)]) is not None


@pytest.mark.parametrize(
    ("a", "b"),
    [("counts.csv", "counts2.csv"), ("by_sex.csv", "by_age.csv"), ("a/b.csv", "b/a.csv")],
)
def test_different_names_are_not(a: str, b: str) -> None:
    assert names.confusable_with(b, [a]) is None


def test_a_name_is_not_confusable_with_itself() -> None:
    assert names.confusable_with("counts.csv", ["counts.csv"]) is None


@pytest.mark.parametrize(
    ("given", "normal"),
    [
        ("\ufb01le.csv", "file.csv"),
        ("\uff46\uff49\uff4c\uff45.csv", "file.csv"),
        ("cafe\u0301.csv", "caf\u00e9.csv"),
        ("x\uff0f\u2025.csv", "x/...csv"),
        ("\uff76\uff80\uff76\uff85.csv", "\u30ab\u30bf\u30ab\u30ca.csv"),  # half-width katakana
    ],
)
def test_normal_form(given: str, normal: str) -> None:
    assert names.normal_form(given) == normal


def test_lengths_are_counted_in_bytes_with_room_for_a_suffix() -> None:
    assert names.too_long(PurePosixPath("a" * 246 + ".csv"), 255, 9) == "a" * 246 + ".csv"
    assert names.too_long(PurePosixPath("a" * 242 + ".csv"), 255, 9) is None
    assert names.too_long(PurePosixPath("\u3042" * 85), 255, 0) is None  # 255 bytes
    assert names.too_long(PurePosixPath("\u3042" * 86), 255, 0) == "\u3042" * 86
    assert names.too_long(PurePosixPath("d" * 250 + "/x.csv"), 255, 9) is None  # folders: no room


def test_name_max_reads_the_file_system(tmp_path: Path) -> None:
    assert names.name_max(tmp_path) >= 14
    assert names.name_max(tmp_path / "not" / "yet") == names.name_max(tmp_path)
