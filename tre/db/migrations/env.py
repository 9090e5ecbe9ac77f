"""Alembic environment: runs on the connection tre.db.init_db passes in."""

from __future__ import annotations

from alembic import context

from tre.db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - always called through tre.db.init_db
    raise RuntimeError("run migrations through tre.db.init_db(settings)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
