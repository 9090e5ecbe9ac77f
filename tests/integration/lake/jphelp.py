"""The published Japanese FHIR examples (shared data, CC BY-ND 4.0: read, never altered in
place) and the identifying strings each of them carries, found by walking the JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tre.lake.linkage import normalise_insurance

JP_FHIR = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "jp-fhir"
INVALID = JP_FHIR / "examples" / "jp-clins" / "error-examples"
PEOPLE = {"Patient", "Practitioner", "RelatedPerson", "Person", "Organization"}
INSURED_EXTENSIONS = ("InsuredPersonSymbol", "InsuredPersonNumber", "InsuredPersonSubNumber")


def example_files() -> list[Path]:
    """Every example resource or Bundle, the deliberately invalid ones excepted."""
    folders = [JP_FHIR / "clins", JP_FHIR / "examples"]
    return sorted(
        p for folder in folders for p in folder.rglob("*.json") if INVALID not in p.parents
    )


def _resources(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A document's resources, Bundle entries and contained resources included."""
    found = [e["resource"] for e in doc.get("entry", [])] if doc.get("entry") else [doc]
    for resource in found:
        yield resource
        yield from resource.get("contained", [])


def _references(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "reference" in node or isinstance(node.get("identifier"), dict):
            yield node
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def identifying_strings(path: Path) -> dict[str, set[str]]:
    """What `path` carries that names or reaches a person: names in every representation
    and as people write them (family and given together, with or without a space),
    identifiers (in references too), phone numbers, postcodes, address texts and lines,
    insured-person numbers, organisation names and institution numbers, reference
    displays."""
    kinds = ("names", "name_parts", "phones", "postcodes", "numbers", "places", "other")
    found: dict[str, set[str]] = {k: set() for k in kinds}
    doc = json.loads(path.read_text(encoding="utf-8"))
    for resource in _resources(doc):
        rtype = resource.get("resourceType")
        for ident in resource.get("identifier", []):
            if isinstance(ident, dict) and ident.get("value"):
                found["numbers"].add(ident["value"])
        if rtype in PEOPLE:
            names = resource.get("name", [])
            if isinstance(names, str):  # an organisation's
                found["other"].add(names)
                names = []
            for name in names:
                given = name.get("given", [])
                family = name.get("family", "")
                found["names"].update(v for v in [name.get("text")] if v)
                found["name_parts"].update(v for v in [family, *given] if v)
                if family and given:
                    found["names"].add(family + " " + " ".join(given))
                    found["names"].add(family + "".join(given))
            for telecom in resource.get("telecom", []):
                found["phones"].add(telecom["value"])
            for contact in resource.get("contact", []):
                found["phones"].update(t["value"] for t in contact.get("telecom", []))
            for address in resource.get("address", []):
                found["places"].update(address.get("line", []))
                found["places"].update(v for k in ("text", "city") if (v := address.get(k)))
                if address.get("postalCode"):
                    found["postcodes"].add(address["postalCode"])
        for ext in resource.get("extension", []):
            if any(ext.get("url", "").endswith(n) for n in INSURED_EXTENSIONS):
                found["numbers"].add(ext["valueString"])
        for key in ("subscriberId", "dependent"):
            if resource.get(key):
                found["numbers"].add(resource[key])
        for ref in _references(resource):
            if ref.get("display") and rtype != "Composition":
                found["other"].add(ref["display"])
            value = (ref.get("identifier") or {}).get("value")
            if value:
                found["numbers"].add(value)
                if ":" in value:
                    found["numbers"].add(normalise_insurance(value))
    return found
