"""What the control database remembers about extracts (never stored in an extract).

`extract_builds`: one row per published build (project, time, actor, lake snapshots, person
count). `extract_persons`: the lake pseudonyms each build contained, so a transparency lookup
can say which projects used a person's records. Rows are kept after a build's files are
garbage-collected: the history of use outlives the files.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import JSON, ForeignKey, Integer, String, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from tre.db.models import Base, UTCDateTime, utcnow

_INSERT_CHUNK = 5000


class ExtractBuild(Base):
    __tablename__ = "extract_builds"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    built_by: Mapped[str] = mapped_column(String(64))
    snapshots: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    persons: Mapped[int] = mapped_column(Integer)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    # When the opt-out list this build left out was read: opt-outs recorded later are in it.
    optouts_as_of: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ExtractPerson(Base):
    __tablename__ = "extract_persons"

    build_id: Mapped[str] = mapped_column(ForeignKey("extract_builds.id"), primary_key=True)
    lake_pseudonym: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


def record_persons(session: Session, build_id: str, persons: pa.Array) -> None:
    """Insert the build's lake pseudonyms in chunks (executemany, not a row per statement)."""
    values = persons.to_pylist()
    for start in range(0, len(values), _INSERT_CHUNK):
        chunk = values[start : start + _INSERT_CHUNK]
        session.execute(
            insert(ExtractPerson), [{"build_id": build_id, "lake_pseudonym": v} for v in chunk]
        )
