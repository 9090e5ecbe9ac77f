"""How SACRO-Viewer reads an ACRO results.json, ported from its code so a test can show that
a document of ours loads and displays there (SACRO-Viewer is a Django and Electron app that
cannot run here).

Ported from AI-SDC/SACRO-Viewer (main branch):
- `sacro/models.py`: `find_acro_metadata` (which JSON file of a folder is the results),
  `ACROOutputs.__post_init__` (its structural validation, kept assertion for assertion) and
  `annotate` (checksums read from `checksums/<name>.txt` and compared with the file's
  SHA-256; `sdc.cells` turned into a `"row,col"` index, only for files with a checksum);
- `sacro/versioning.py` and `ACRO_SUPPORTED_VERSION = "0.4.x"` in `sacro/settings.py`
  (major and minor compared as strings, as it does);
- `assets/src/scripts/_output-click.js`, `_set-metadata.js`, `_form-state.js`: the fields the
  page reads (`properties.method`, `type`, `summary` split on "; " with the first part as
  the status, `comments` as a list, `exception`, `status` choosing which review buttons are
  enabled, `timestamp` as a date);
- `_table-builder.js`: a flagged cell `x,y` is highlighted at `tbody tr:nth-child(x + 1) >
  td:nth-child(y + 2)` of the CSV rendered without its header row.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

SUPPORTED_VERSION = "0.4.x"
STATUSES = ("pass", "fail", "review")


class InvalidFile(Exception):
    pass


class IncorrectVersion(Exception):
    pass


def find_results(dirpath: Path) -> Path:
    """`models.find_acro_metadata`, without its scaffolding of a missing file."""
    json_files = sorted(dirpath.glob("*.json"))
    default = dirpath / "outputs.json"
    if default.exists():
        return default
    if len(json_files) == 1:
        return json_files[0]
    valid = []
    for candidate in json_files:
        try:
            load(candidate)
        except (InvalidFile, ValueError):
            continue
        valid.append(candidate)
    if len(valid) != 1:
        raise InvalidFile(f"{len(valid)} ACRO json files in {dirpath}")
    return valid[0]


def _version_parts(version: str) -> tuple[str, str]:
    major, minor, *_rest = version.split(".")
    int(major), int(minor)  # raises ValueError like UnsupportedVersionFormatError
    return major, minor


def check_version(version: str) -> None:
    used, supported = _version_parts(version), _version_parts(SUPPORTED_VERSION)
    older = used[0] < supported[0] or (used[0] == supported[0] and used[1] < supported[1])
    if older:
        raise IncorrectVersion(version)


def load(path: Path) -> dict[str, Any]:
    """`models.load_from_path`: validate, check the version, annotate. Returns the outputs."""
    raw = json.loads(path.read_text())
    try:
        assert "version" in raw
        assert "results" in raw
        for result in raw["results"].values():
            assert "files" in result
            assert len(result["files"]) > 0
            for filedata in result["files"]:
                assert "name" in filedata
    except (AssertionError, TypeError, AttributeError) as exc:
        raise InvalidFile(f"{path} is not a valid ACRO json file: {exc!r}") from exc
    check_version(raw["version"])
    outputs: dict[str, Any] = raw["results"]
    _annotate(path, outputs)
    return outputs


def _annotate(path: Path, outputs: dict[str, Any]) -> None:
    checksums_dir = path.parent / "checksums"
    for metadata in outputs.values():
        for filedata in metadata["files"]:
            filedata["checksum_valid"] = False
            filedata["checksum"] = None
            checksum_path = checksums_dir / (filedata["name"] + ".txt")
            if not checksum_path.exists():
                continue
            filedata["checksum"] = checksum_path.read_text(encoding="utf8")
            actual = path.parent / filedata["name"]
            if not actual.exists():
                continue
            checksum = hashlib.sha256(actual.read_bytes()).hexdigest()
            filedata["checksum_valid"] = checksum == filedata["checksum"]
            cell_index: dict[str, list[str]] = defaultdict(list)
            for flag, indices in filedata.get("sdc", {}).get("cells", {}).items():
                for x, y in indices:
                    cell_index[f"{x},{y}"].append(flag)
            filedata["cell_index"] = dict(cell_index)


def page(metadata: dict[str, Any]) -> dict[str, Any]:
    """What the output's page shows, computed as the scripts compute it; raises where the
    scripts would throw (a missing object, a comment list that is not a list)."""
    method = metadata["properties"].get("method")  # `properties.method`: properties required
    summary = metadata["summary"]
    parts = [p for p in summary.split("; ") if p != ""] if summary else []
    shown_status = parts[0][:1].upper() + parts[0][1:] if parts else "Unknown"
    comments = metadata["comments"]
    if not isinstance(comments, list):
        raise TypeError("comments must be a list")
    datetime.fromisoformat(metadata["timestamp"])
    status = metadata["status"]
    return {
        "type": f"{method or ''} {metadata['type']}" if method else "Unknown",
        "status": shown_status,
        "status_details": parts[1:],
        "comments": [str(c) for c in comments],
        "exception": None if status == "pass" else metadata["exception"],
        "review_buttons": {"pass": "approve", "fail": "reject"}.get(status, "none"),
    }


def highlighted(csv_text: str, cell_index: dict[str, list[str]]) -> dict[str, list[str]]:
    """The text of each highlighted cell ("row,column" of the CSV, 0-based, header excluded)
    mapped to its flags, as `highlightFailingCells` places them."""
    rows = list(csv.reader(io.StringIO(csv_text)))[1:]
    found = {}
    for key, flags in cell_index.items():
        x, y = (int(float(v)) for v in key.split(","))
        tr, td = x + 1, y + 2  # nth-child, 1-based
        if 1 <= tr <= len(rows) and 1 <= td <= len(rows[tr - 1]):
            found[f"{tr - 1},{td - 1}"] = flags
    return found
