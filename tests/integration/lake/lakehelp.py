"""Lake test helpers: a TRE home with a key, what a source identifies, what the lake holds."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from tre.cli.init import initialise
from tre.config import Settings, load_settings
from tre.lake.fhir_types import R4_RESOURCE_TYPES

SSN = "http://hl7.org/fhir/sid/us-ssn"


def make_settings(home: Path, **overrides: Any) -> Settings:
    settings = load_settings(home=home, **overrides)
    initialise(settings)
    return settings


def resources(paths: list[Path]) -> Iterator[dict[str, Any]]:
    """Every resource of the source files (test-side reference parser)."""
    for root in paths:
        files = sorted(root.rglob("*")) if root.is_dir() else [root]
        for path in files:
            if path.name.endswith((".ndjson", ".ndjson.gz")):
                opener = gzip.open if path.name.endswith(".gz") else open
                with opener(path, "rt", encoding="utf-8") as handle:
                    for line in handle:
                        if line.strip():
                            yield json.loads(line)
            elif path.name.endswith(".json"):
                doc = json.loads(path.read_text(encoding="utf-8"))
                for entry in doc.get("entry", []):
                    yield entry["resource"]


def _names(resource: dict[str, Any]) -> Iterator[str]:
    for name in resource.get("name", []):
        given = name.get("given", [])
        yield from given
        if "family" in name:
            yield name["family"]
            yield " ".join([*given, name["family"]])


def direct_identifiers(paths: list[Path]) -> dict[str, set[str]]:
    """The source's names, identifiers, phone numbers, addresses, ids and file names."""
    found: dict[str, set[str]] = {
        k: set() for k in ("names", "identifiers", "phones", "addresses", "ids", "files")
    }
    for root in paths:
        for path in sorted(root.rglob("*")) if root.is_dir() else [root]:
            if path.name.split(".")[0] not in R4_RESOURCE_TYPES:  # bulk files: Patient.000...
                found["files"].add(path.name)
                found["files"].add(path.name.split(".")[0])
    for res in resources(paths):
        rtype = res["resourceType"]
        found["ids"].add(res["id"])
        found["identifiers"].update(i["value"] for i in res.get("identifier", []) if "value" in i)
        if rtype in ("Patient", "Practitioner"):
            found["names"].update(_names(res))
            found["phones"].update(t["value"] for t in res.get("telecom", []) if "value" in t)
            for address in res.get("address", []):
                found["addresses"].update(address.get("line", []))
                found["addresses"].update(
                    address[k] for k in ("city", "postalCode") if k in address
                )
            for ext in res.get("extension", []):
                if "valueString" in ext:  # mother's maiden name
                    found["names"].add(ext["valueString"])
        subject = res.get("subject", {})
        if rtype == "Encounter" and "display" in subject:
            found["names"].add(subject["display"])
    return found


def lake_strings(root: Path) -> list[str]:
    """Every string the lake holds: each string cell of each Parquet file, and every other
    file's text (manifests, registers)."""
    strings: list[str] = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            for column in table.columns:
                if column.type in ("string", "large_string") or str(column.type) in (
                    "string",
                    "large_string",
                ):
                    strings.extend(v for v in column.to_pylist() if v is not None)
            strings.extend(table.column_names)
        else:
            strings.append(path.read_bytes().decode("utf-8", errors="replace"))
        strings.append(path.name)
    return strings


def snapshot_tables(manifest: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of a published snapshot, its rows sorted (for comparing two ingests)."""
    root = load_settings().lake_path / "snapshots" / manifest["id"]
    with duckdb.connect() as con:
        return {
            table: con.execute(
                "SELECT * FROM read_parquet($1) ORDER BY ALL", [str(root / d["file"])]
            ).fetchall()
            for table, d in manifest["tables"].items()
        }
