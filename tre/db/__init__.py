"""The control database: engines, sessions, migrations.

- `init_db(settings)` migrates to the latest schema (Alembic, idempotent) and returns the
  database URL with any password hidden.
- `session_scope(settings)` yields a `Session`; commits on success, rolls back on error.

SQLite (the default) runs in WAL mode with foreign keys on, and every transaction starts
with ``BEGIN IMMEDIATE`` so concurrent writers queue (busy timeout) instead of failing
when one upgrades a read to a write. PostgreSQL is supported with the same code.
"""

from __future__ import annotations

from tre.db.engine import db_engine, dispose_engines, init_db, session_scope
from tre.db.models import (
    ApplicationDraft,
    AuditEvent,
    AuditHead,
    Base,
    LawfulBasis,
    Member,
    Permit,
    Project,
    ProjectDecision,
    ProjectStatus,
    Purpose,
    User,
)

__all__ = [
    "ApplicationDraft",
    "AuditEvent",
    "AuditHead",
    "Base",
    "LawfulBasis",
    "Member",
    "Permit",
    "Project",
    "ProjectDecision",
    "ProjectStatus",
    "Purpose",
    "User",
    "db_engine",
    "dispose_engines",
    "init_db",
    "session_scope",
]
