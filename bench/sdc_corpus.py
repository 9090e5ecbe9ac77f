"""The output-gate corpus: recall, false blocks, and ACRO 1.0.2's verdicts beside ours.

Generates the corpus of tests/sdc_corpus (seeded microdata, outputs in many analysts'
styles), runs every output through tre.sdc under its profile and prints:
- recall: disclosive outputs (expected `block`) that are blocked;
- the false-block rate: safe outputs (expected `pass`) that are blocked;
- for the outputs ACRO can express (a crosstab or a regression computed from the microdata),
  ACRO's status (pass / fail / review) beside ours, with the times of both.

    .venv/bin/python bench/sdc_corpus.py
"""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]


def _corpus() -> Any:
    spec = importlib.util.spec_from_file_location(
        "sdc_corpus", ROOT / "tests" / "sdc_corpus" / "corpus.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["sdc_corpus"] = module
    spec.loader.exec_module(module)
    return module


def acro_status(spec: dict[str, Any], persons: Any, claims: Any) -> str:
    """ACRO's status for the same output, computed from the microdata as ACRO does it."""
    import acro

    logging.disable(logging.CRITICAL)
    session = acro.ACRO(suppress=False)
    if spec["kind"] == "ols":
        import numpy as np
        import pandas as pd

        df = claims.head(spec.get("rows", len(claims)))
        y = np.log(df["cost"])
        x = pd.DataFrame(
            {
                "age": df["age"],
                "male": (df["sex"] == "M").astype(float),
                "kanto": (df["region"] == "Kanto").astype(float),
            }
        )
        session.ols(y, acro.add_constant(x))
    else:
        dims = [*spec["index"], *([spec["columns"]] if spec.get("columns") else [])]
        where = spec.get("where", "")
        uses_claims = (
            "icd10" in dims
            or "icd10" in where
            or spec.get("values") == "cost"
            or spec.get("records", False)
        )
        df = claims if uses_claims else persons
        if where:
            df = df.query(
                where.replace(" AND ", " and ")
                .replace(" IN ", " in ")
                .replace("(", "[")
                .replace(")", "]")
            )
        if uses_claims and not spec.get("values") and not spec.get("records"):
            df = df.drop_duplicates(["person_id", *dims])  # persons, not claims
        index = [df[c] for c in spec["index"]]
        columns = df[spec["columns"]] if spec.get("columns") else None
        if columns is None:  # a one-way table: ACRO's crosstab needs two axes
            columns = df["sex"].map(lambda _v: "all")
        values = df[spec["values"]] if spec.get("values") else None
        session.crosstab(
            index[0] if len(index) == 1 else index,
            columns,
            values=values,
            aggfunc=spec.get("aggfunc"),
        )
    return str(session.results.get_index(-1).status)


def main() -> None:
    corpus = _corpus()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = corpus.build(folder)
        persons = pq.read_table(folder / "persons.parquet")
        ids = persons.column("person_id").combine_chunks()
        start = time.perf_counter()
        verdicts = {c.file: corpus.check_case(folder, c, ids).verdict for c in cases}
        ours = time.perf_counter() - start
        blocks = [c for c in cases if c.expected == "block"]
        safe = [c for c in cases if c.expected == "pass"]
        caught = sum(verdicts[c.file] == "block" for c in blocks)
        false_blocks = sum(verdicts[c.file] == "block" for c in safe)
        print(
            f"corpus: {len(cases)} outputs, {len(blocks)} disclosive, {len(safe)} safe, "
            f"{len(cases) - len(blocks) - len(safe)} for review"
        )
        print(
            f"recall (disclosive blocked): {caught}/{len(blocks)} = "
            f"{100 * caught / len(blocks):.1f}%"
        )
        print(
            f"false blocks (safe blocked): {false_blocks}/{len(safe)} = "
            f"{100 * false_blocks / len(safe):.1f}%"
        )
        agree = sum(verdicts[c.file] == c.expected for c in cases)
        print(f"verdict as expected: {agree}/{len(cases)}; tre.sdc: {ours:.2f} s for all")
        expressible = [c for c in cases if c.acro]
        pdp, pdc = persons.to_pandas(), pq.read_table(folder / "claims.parquet").to_pandas()
        print(
            f"\nACRO 1.0.2 on the {len(expressible)} outputs it can express "
            "(computed from the microdata):"
        )
        print(f"{'output':38} {'expected':9} {'tre.sdc':8} {'ACRO':7}")
        start = time.perf_counter()
        disagree = 0
        for case in expressible:
            status = acro_status(case.acro, pdp, pdc)
            ours_blocks = verdicts[case.file] == "block"
            disagree += (status != "pass") != ours_blocks
            print(f"{case.file:38} {case.expected:9} {verdicts[case.file]:8} {status:7}")
        print(
            f"ACRO: {time.perf_counter() - start:.2f} s; ACRO fail/review where tre.sdc does "
            f"not block, or the reverse: {disagree}"
        )
        print(
            "(ACRO counts records: where a table counts claims, it cannot see how few people "
            "are behind them.)"
        )
        result = {
            "name": "sdc_corpus",
            "ratio": round(false_blocks / len(safe), 4),  # share of safe outputs blocked
            "target": 0.03,
            "recall": round(caught / len(blocks), 4),
            "acro_disagreements": disagree,
        }
        print("bench-result: " + json.dumps(result))


if __name__ == "__main__":
    main()
