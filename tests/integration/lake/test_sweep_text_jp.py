"""The text sweep attacked with the identifying fields of every published Japanese example:
each person's full name (kanji, katakana, and as hiragana, half-width or full-width
katakana, with or without the space), phone number (with or without hyphens, in full-width
digits) and postcode (with 〒), written inside a display text, is found; the examples'
own code displays are not mistaken for any of them."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from jphelp import JP_FHIR, example_files, identifying_strings

from tre.lake import fhir, fhir_read
from tre.lake.sweep_text import fold, sweep_text

pytestmark = pytest.mark.skipif(not JP_FHIR.is_dir(), reason=f"no shared data at {JP_FHIR}")
KATAKANA = "".join(chr(c) for c in range(0x30A1, 0x30F7))
# Half-width katakana for each full-width one they decompose to (voiced ones are two).
HALF_KANA = {unicodedata.normalize("NFKC", chr(c)): chr(c) for c in range(0xFF66, 0xFF9E)}
HIRAGANA = "".join(chr(c) for c in range(0x3041, 0x3097))


def _variants(value: str) -> set[str]:
    """How else people write `value`: kana forms, full width, without spaces, with 〒."""
    to_full = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})
    forms = {
        value,
        value.translate(to_full),
        value.translate(str.maketrans(KATAKANA, HIRAGANA)),
        "".join(
            HALF_KANA.get(unicodedata.normalize("NFD", ch)[0], ch)
            + ("ﾞ" if "\u3099" in unicodedata.normalize("NFD", ch) else "")
            for ch in value
        ),
        value.replace(" ", "").replace("\u3000", ""),
        value.replace(" ", "\u3000"),
        value.replace("-", ""),
    }
    return {f for f in forms if f}


@pytest.fixture(scope="module")
def removed() -> duckdb.DuckDBPyConnection:
    """The strings the ingest collects for the text sweep from every example."""
    con = duckdb.connect()
    fhir.prepare(con, "jp", bytes(range(32)))
    files = [fhir_read.InputFile(p, "bundle") for p in example_files()]
    collected = []
    for batch, _done in fhir_read.read_batches(files, 16 << 20):
        fhir.load_batch(con, batch)
        collected.append(fhir.removed_text_rows(con))
    con.register("collected", pa.concat_tables(collected))
    con.execute("CREATE TABLE removed_text AS SELECT DISTINCT kind, value FROM collected")
    return con


def _attacks() -> dict[str, str]:
    attacks: dict[str, str] = {}
    for path in example_files():
        found = identifying_strings(path)
        for kind in ("names", "phones", "postcodes"):
            for value in found[kind]:
                if kind == "names" and len(fold(value)) < 3:
                    continue  # short names: the exact sweep's (see tre.lake.sweep_text)
                for form in _variants(value):
                    prefix = "〒" if kind == "postcodes" else "連絡先 " if kind == "phones" else ""
                    attacks[f"c{len(attacks)}"] = f"所見：{prefix}{form} 様へ"
    return attacks


def test_every_identifying_field_is_found_inside_a_display(
    removed: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    attacks = _attacks()
    assert len(attacks) > 100
    path = tmp_path / "attacks.parquet"
    pq.write_table(pa.table({k: [v] for k, v in attacks.items()}), path)
    hits = {c for _t, c in sweep_text(removed, {"t": (path, list(attacks))}, "removed_text")}
    missed = {attacks[c] for c in attacks if c not in hits}
    assert missed == set()


def _displays(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = (
            {node["display"]} if "code" in node and isinstance(node.get("display"), str) else set()
        )
        return found.union(*(_displays(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_displays(v) for v in node))
    return set()


def test_the_examples_code_displays_are_not_taken_for_identifiers(
    removed: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    displays = sorted(
        set().union(*(_displays(json.loads(p.read_text("utf-8"))) for p in example_files()))
    )
    assert len(displays) > 100
    path = tmp_path / "displays.parquet"
    pq.write_table(pa.table({"display": displays}), path)
    assert sweep_text(removed, {"t": (path, ["display"])}, "removed_text") == []
