"""What the lake holds: the latest snapshot of each source, as datasets with columns.

`load_catalog(settings)` reads only manifests (no data). Dataset names are
`<source>.<table>`; column roles are `person_id` (the lake person pseudonym), `pseudonym`
(another keyed id used for joins) or `attribute`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tre.config import Settings
from tre.lake.optout import opted_out
from tre.lake.snapshots import latest_by_source


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    role: str


@dataclass(frozen=True)
class Dataset:
    name: str
    source: str
    table: str
    snapshot_id: str
    path: Path
    rows: int
    persons: int | None
    tier: str
    columns: list[Column]
    coverage: dict[str, Any] | None = None
    description: str = ""
    # The snapshot's persons per table (`tre.lake.publish`); None for snapshots before it.
    persons_file: Path | None = None


@dataclass(frozen=True)
class Catalog:
    datasets: list[Dataset] = field(default_factory=list)
    opted_out: int = 0

    def get(self, name: str) -> Dataset | None:
        return next((d for d in self.datasets if d.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "opted_out": self.opted_out,
            "datasets": [
                asdict(d)
                | {"path": str(d.path), "persons_file": d.persons_file and str(d.persons_file)}
                for d in self.datasets
            ],
        }


def load_catalog(settings: Settings) -> Catalog:
    datasets: list[Dataset] = []
    for source, manifest in sorted(latest_by_source(settings).items()):
        root = Path(manifest["path"])
        persons_file = manifest.get("persons_file")
        for table, info in sorted(manifest["tables"].items()):
            datasets.append(
                Dataset(
                    name=f"{source}.{table}",
                    source=source,
                    table=table,
                    snapshot_id=manifest["id"],
                    path=root / info["file"],
                    rows=int(info["rows"]),
                    persons=info.get("persons"),
                    tier=info.get("tier", "standard"),
                    columns=[Column(**c) for c in info["columns"]],
                    coverage=info.get("coverage"),
                    description=info.get("description", ""),
                    persons_file=root / persons_file["file"] if persons_file else None,
                )
            )
    return Catalog(datasets=datasets, opted_out=len(opted_out(settings)))
