"""Checks of a Five Safes RO-Crate, written from the specifications rather than from our
writer: BagIt validity by the Library of Congress `bagit` package; the RO-Crate metadata's
structure (the MUSTs of RO-Crate 1.1, which 1.2 keeps); and the requirements of the Five Safes
RO-Crate profile 0.4 (https://w3id.org/5s-crate/0.4), as its text states them and as the
profile's SHACL shapes in eScienceLab/rocrate-validator (`profiles/five-safes-crate/`) test
them. Each function returns the problems found, so a test can show that a broken crate is
caught.

The profile's workflow requirements (`mainEntity` and the `CreateAction`'s `instrument` name
a Workflow RO-Crate) are not checked: an airlock release has no workflow (docs/airlock.md).
"""

from __future__ import annotations

import json
import re
import zipfile
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

import bagit

RFC3339 = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}([.,][0-9]+)?(Z|z|[+-][0-9]{2}:[0-9]{2})$"
)
ACTION_STATUSES = {
    f"http://schema.org/{s}ActionStatus" for s in ("Potential", "Active", "Completed", "Failed")
}
COMPLETED = "http://schema.org/CompletedActionStatus"
SHP = "https://w3id.org/shp#"
PROFILE = "https://w3id.org/5s-crate/0.4"


def extract(archive: Path, dest: Path) -> Path:
    """Unpack a crate ZIP refusing anything outside one top-level folder; return the bag."""
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
        tops = {PurePosixPath(n).parts[0] for n in names}
        assert len(tops) == 1, f"the ZIP must hold one top-level folder, not {sorted(tops)}"
        for name in names:
            parts = PurePosixPath(name).parts
            assert not name.startswith("/") and ".." not in parts, name
        z.extractall(dest)
    return dest / tops.pop()


def bag_problems(bag_dir: Path) -> list[str]:
    problems = []
    try:
        bag = bagit.Bag(str(bag_dir))
        bag.validate()
    except (bagit.BagError, bagit.BagValidationError) as exc:
        return [f"BagIt: {exc}"]
    if "sha512" not in bag.algorithms:
        problems.append("no SHA-512 payload manifest")
    if not (bag_dir / "tagmanifest-sha512.txt").is_file():
        problems.append("no SHA-512 tag manifest")
    if bag.version != "1.0":
        problems.append(f"BagIt version {bag.version}, not 1.0")
    identifier = bag.info.get("External-Identifier", "")
    if not re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", str(identifier)):
        problems.append("bag-info.txt has no External-Identifier urn:uuid")
    if not (bag_dir / "data" / "ro-crate-metadata.json").is_file():
        problems.append("no data/ro-crate-metadata.json")
    return problems


def _ids(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [i["@id"] for i in items if isinstance(i, dict) and "@id" in i]


def _types(entity: dict[str, Any]) -> set[str]:
    found = entity.get("@type", [])
    return set(found if isinstance(found, list) else [found])


def _context_terms() -> set[str]:
    """The terms of the RO-Crate JSON-LD context (as ro-crate-py ships it: 1.3, which keeps
    every term of 1.1 and 1.2)."""
    text = resources.files("rocrate").joinpath("data/ro-crate.jsonld").read_text()
    return set(json.loads(text)["@context"])


def rocrate_problems(metadata: dict[str, Any], root: Path) -> list[str]:
    """RO-Crate structure: a flat @graph of entities with @id and @type, the metadata
    descriptor, a root Dataset with name, description, datePublished and license, data
    entities present in the payload and reachable by hasPart, references resolved, and only
    terms the RO-Crate context defines."""
    problems: list[str] = []
    if not str(metadata.get("@context", "")).startswith("https://w3id.org/ro/crate/1."):
        problems.append("@context is not an RO-Crate context")
    graph = metadata.get("@graph")
    if not isinstance(graph, list):
        return [*problems, "@graph is not a list"]
    entities: dict[str, dict[str, Any]] = {}
    terms = _context_terms()
    for entity in graph:
        if not isinstance(entity, dict) or "@id" not in entity or "@type" not in entity:
            problems.append(f"an entity without @id or @type: {entity!r:.80}")
            continue
        if entity["@id"] in entities:
            problems.append(f"@id {entity['@id']} appears twice")
        entities[entity["@id"]] = entity
        for key, value in entity.items():
            if not key.startswith("@") and key not in terms:
                problems.append(f"{entity['@id']}: {key} is not an RO-Crate term")
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict) and set(item) != {"@id"}:
                    problems.append(f"{entity['@id']}.{key} nests an entity (graph not flat)")
        for kind in _types(entity):
            if kind not in terms:
                problems.append(f"{entity['@id']}: type {kind} is not an RO-Crate term")
    descriptor = entities.get("ro-crate-metadata.json", {})
    if descriptor.get("about") != {"@id": "./"} or "CreativeWork" not in _types(descriptor):
        problems.append("the metadata descriptor is missing or not about ./")
    if not any(
        i.startswith("https://w3id.org/ro/crate/1.") for i in _ids(descriptor.get("conformsTo"))
    ):
        problems.append("the metadata descriptor does not name the RO-Crate version")
    root_entity = entities.get("./", {})
    if "Dataset" not in _types(root_entity):
        problems.append("no root Dataset ./")
    for key in ("name", "description", "datePublished", "license"):
        if not root_entity.get(key):
            problems.append(f"the root Dataset has no {key}")
    if root_entity.get("datePublished") and not RFC3339.match(root_entity["datePublished"]):
        problems.append("datePublished is not an ISO 8601 date-time")
    reachable = _reachable(entities)
    for entity_id, entity in entities.items():
        kinds = _types(entity)
        local = not re.match(r"^[a-z][a-z0-9+.-]*:|^#", entity_id) and entity_id not in (
            "./",
            "ro-crate-metadata.json",
        )
        if local and kinds & {"File", "Dataset"}:
            if not (root / unquote(entity_id)).exists():
                problems.append(f"data entity {entity_id} is not in the payload")
            if entity_id not in reachable:
                problems.append(f"data entity {entity_id} is not reachable by hasPart")
        for value in entity.values():
            for ref in _ids(value):
                if (ref.startswith("#") or not re.match(r"^[a-z][a-z0-9+.-]*:", ref)) and (
                    ref not in entities
                ):
                    problems.append(f"{entity_id} refers to {ref}, which is not described")
    return problems


def five_safes_problems(metadata: dict[str, Any]) -> list[str]:
    """The Five Safes RO-Crate 0.4 requirements (MUSTs, and the SHOULDs we meet)."""
    problems: list[str] = []
    entities = {e["@id"]: e for e in metadata["@graph"]}
    descriptor, root = entities["ro-crate-metadata.json"], entities["./"]
    if not any(re.fullmatch(r"https://w3id\.org/ro/crate/1\.[2-9](-DRAFT)?", i)
               for i in _ids(descriptor.get("conformsTo"))):  # fmt: skip
        problems.append("the crate must conform to RO-Crate 1.2 or a later minor version")
    if PROFILE not in _ids(root.get("conformsTo")) or "Profile" not in _types(
        entities.get(PROFILE, {})
    ):
        problems.append("the root does not declare and describe the profile")
    mentioned = set(_ids(root.get("mentions")))
    creates = [e for e in entities.values() if "CreateAction" in _types(e)]
    if not any(c["@id"] in mentioned for c in creates):
        problems.append("the root mentions no CreateAction")
    projects = set(_ids(root.get("sourceOrganization")))
    if not projects or any("Project" not in _types(entities.get(p, {})) for p in projects):
        problems.append("the root's sourceOrganization is not a Project")
    for create in creates:
        agents = _ids(create.get("agent"))
        if not agents:
            problems.append(f"{create['@id']} has no agent")
        for agent_id in agents:
            agent = entities.get(agent_id, {})
            if "Person" not in _types(agent):
                problems.append(f"the requesting agent {agent_id} is not a Person")
            for org in _ids(agent.get("affiliation")):
                if "Organization" not in _types(entities.get(org, {})):
                    problems.append(f"the affiliation {org} is not an Organization")
            member_of = set(_ids(agent.get("memberOf")))
            if any("Project" not in _types(entities.get(p, {})) for p in member_of):
                problems.append("the requesting agent is memberOf something not a Project")
            if member_of and not member_of & projects:
                problems.append("the requesting agent is not a member of the root's project")
        for obj in _ids(create.get("object")):
            if obj not in entities:
                problems.append(f"the CreateAction's object {obj} is not described")
        parts = _reachable(entities)
        for result in _ids(create.get("result")):
            if result not in parts:
                problems.append(f"result {result} is not in the root's hasPart")
    for project_id in projects:
        for member in _ids(entities.get(project_id, {}).get("member")):
            if not _types(entities.get(member, {})) & {"Organization", "Person"}:
                problems.append("a member of the project is not an Organization or Person")
    for entity in entities.values():
        kinds, extra = _types(entity), _ids(entity.get("additionalType"))
        if "AssessAction" in kinds and entity["@id"] not in mentioned:
            problems.append(f"{entity['@id']}: every AssessAction must be mentioned by the root")
        for kind in (f"{SHP}DisclosureCheck", f"{SHP}SignOff"):
            if kind in extra:
                if "AssessAction" not in kinds:
                    problems.append(f"{entity['@id']}: a {kind} must be an AssessAction")
                if len(str(entity.get("name", ""))) < 10:
                    problems.append(f"{entity['@id']}: needs a descriptive name")
                if entity.get("actionStatus") not in ACTION_STATUSES:
                    problems.append(f"{entity['@id']}: actionStatus is not an allowed value")
                if entity.get("actionStatus") == COMPLETED and not entity.get("endTime"):
                    problems.append(f"{entity['@id']}: a completed check needs its endTime")
        for key in ("startTime", "endTime"):
            if key in entity and not RFC3339.match(str(entity[key])):
                problems.append(f"{entity['@id']}: {key} is not RFC 3339")
        if "SoftwareApplication" in kinds and entity["@id"] in _agents(entities):
            providers = _ids(entity.get("provider"))
            if not any("Organization" in _types(entities.get(p, {})) for p in providers):
                problems.append(f"{entity['@id']}: an acting application needs a provider")
    if not root.get("publisher") or not root.get("datePublished"):
        problems.append("a published crate names its publisher and datePublished")
    return problems


def _reachable(entities: dict[str, dict[str, Any]]) -> set[str]:
    found, stack = set(), ["./"]
    while stack:
        for part in _ids(entities.get(stack.pop(), {}).get("hasPart")):
            if part not in found:
                found.add(part)
                stack.append(part)
    return found


def _agents(entities: dict[str, dict[str, Any]]) -> set[str]:
    return {a for e in entities.values() for a in _ids(e.get("agent"))}
