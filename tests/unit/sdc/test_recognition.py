"""What an output is decides its rules: attacks that must be blocked, and look-alikes of
them that are safe and must not be."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tre.sdc import SdcParams

from .helpers import check, rules, write_csv

MARKER = "Qz7Marker"


def _png(trailing: bytes = b"", text: bytes = b"", cut: int = 0) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    if text:
        data += chunk(b"tEXt", b"Comment\x00" + text)
    data += chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b"")
    return (data[:-cut] if cut else data) + trailing


def test_safe_look_alikes_pass(tmp_path: Path) -> None:
    populations = write_csv(
        tmp_path / "pop.csv",
        ["prefecture", "population", "patients"],
        [[f"JP-{k:02d}", 1_000_000 + 123_457 * k, 200 + k] for k in range(1, 9)],
    )
    assert check(populations).verdict == "pass"  # seven-digit counts are not member numbers
    table1 = write_csv(
        tmp_path / "table1.csv",
        ["characteristic", "Cases", "Controls"],
        [["age", 61.2, 58.9], ["sex", 412, 398], ["region", 77, 81], ["bmi", 24.1, 23.8]],
    )
    assert "transposed-persons" not in rules(check(table1))
    notes = write_csv(
        tmp_path / "notes.csv",
        ["region", "n", "comment"],
        [[r, 100 + k, f"note {k} on {r}"] for k, r in enumerate(["a", "b", "c", "d", "e"])],
    )
    assert check(notes).verdict == "pass"  # a comment per row does not make records


def test_numbers_named_for_persons_are_identifiers(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "t.csv", ["patient_id", "visits"], [[100_234 + 7 * k, 12] for k in range(20)]
    )
    assert rules(check(path))["pseudonym-like"] == "block"


def test_markdown_with_script_is_active_content(tmp_path: Path) -> None:
    path = tmp_path / "r.md"
    path.write_text("# Results\n\n| a | n |\n|---|---|\n| x | 20 |\n\n<script>alert(1)</script>\n")
    assert rules(check(path))["active-content"] == "block"


def test_json_object_of_counts_is_a_table(tmp_path: Path) -> None:
    path = tmp_path / "codes.json"
    path.write_text(json.dumps({"I10": 812, "E11": 640, "X99": 3, "unit": "persons"}))
    assert rules(check(path))["threshold"] == "block"


def test_images_hostile_or_broken_never_crash(tmp_path: Path) -> None:
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(_png(cut=7))
    assert rules(check(truncated))["image-structure"] == "review"
    jpeg = tmp_path / "cut.jpg"
    jpeg.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff")
    assert check(jpeg).verdict in ("review", "block")


@pytest.mark.parametrize(
    "content",
    [
        "[" * 100_000,
        "{" + '"a":' * 5000 + "1" + "}" * 5000,
        "x," * 200_000 + "\n",
        "\u202e" * 1000 + "\n1,2\n",
    ],
)
def test_hostile_text_gets_findings_not_tracebacks(tmp_path: Path, content: str) -> None:
    path = tmp_path / "h.json"
    path.write_text(content)
    report = check(path)
    assert report.verdict in ("review", "block", "pass")


def test_hidden_data_messages_carry_no_values(tmp_path: Path) -> None:
    rows = ("person_id,cost\n" + "".join(f"{MARKER}{k:04d},{k}\n" for k in range(20))).encode()
    for name, data in (("t.png", _png(trailing=rows)), ("c.png", _png(text=rows))):
        path = tmp_path / name
        path.write_bytes(data)
        report = check(path)
        assert rules(report)["hidden-data"] == "block"
        assert MARKER not in json.dumps(report.to_dict())


def test_ndb_rules_apply_only_under_ndb(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", ["市区町村", "人口", "患者数"], [["A村", 1500, 12]])
    assert "municipality-minimum" not in rules(check(path))
    assert rules(check(path, SdcParams.profile_named("ndb")))["municipality-minimum"] == "block"


# pandas writes a DataFrame as JSON in six layouts; "columns" (its default) and "index" are
# objects of objects, "split" is columns and data apart. Each must be read as the table.
# ("values" is rows without a header: nothing says what they are, a checker reads them.)
PANDAS_ORIENTS = ("columns", "index", "split", "records", "table", "values")


def _persons(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    alphabet = np.array(list("abcdefghijklmnopqrstuvwxyz0123456789"))
    ids = ["".join(rng.choice(alphabet, 8)) for _ in range(n)]
    return pd.DataFrame(
        {
            "age": rng.integers(20, 90, n),
            "sex": rng.choice(["F", "M"], n),
            "cost": rng.integers(100, 99999, n),
        },
        index=ids,
    )


@pytest.mark.parametrize("orient", [o for o in PANDAS_ORIENTS if o != "values"])
def test_person_records_in_any_pandas_json_layout_are_blocked(tmp_path: Path, orient: str) -> None:
    persons = _persons()
    path = tmp_path / f"persons_{orient}.json"
    persons.to_json(path, orient=orient)
    report = check(path)
    assert report.verdict == "block", (orient, rules(report))
    stored = json.dumps(report.to_dict(), ensure_ascii=False)
    assert not [i for i in persons.index if i in stored], f"a pseudonym of {orient} is named"


@pytest.mark.parametrize("orient", [o for o in PANDAS_ORIENTS if o != "values"])
def test_counts_in_any_pandas_json_layout(tmp_path: Path, orient: str) -> None:
    counts = pd.DataFrame(
        {"F": [120, 95, 88], "M": [110, 102, 79]}, index=["Hokkaido", "Tokyo", "Osaka"]
    )
    safe = tmp_path / f"safe_{orient}.json"
    counts.rename_axis("prefecture").reset_index().to_json(safe, orient=orient)
    assert check(safe).verdict == "pass", (orient, rules(check(safe)))
    counts.loc["Osaka", "M"] = 3
    small = tmp_path / f"small_{orient}.json"
    counts.rename_axis("prefecture").reset_index().to_json(small, orient=orient)
    assert rules(check(small)).get("threshold") == "block", (orient, rules(check(small)))
