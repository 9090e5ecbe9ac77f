"""`tre demo-data`: synthetic FHIR bulk NDJSON at any scale."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tre.cli.common import JsonFlag
from tre.errors import UserError


def demo_data(
    out: Annotated[Path, typer.Option("--out", help="Directory to write NDJSON files into.")],
    patients: Annotated[int, typer.Option("--patients", min=1, help="How many patients.")] = 100,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same data).")] = 1,
    as_json: JsonFlag = False,
) -> None:
    """Write synthetic FHIR R4 bulk-export NDJSON (Japanese prefectures, ICD-10, costs)."""
    raise UserError("demo-data is not available yet.")
