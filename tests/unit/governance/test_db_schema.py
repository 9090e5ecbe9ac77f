"""Migrations build exactly the models' schema; init_db is idempotent and hides passwords."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from tre.config import Settings, load_settings
from tre.db import AuditHead, Base, db_engine, init_db, session_scope

GOVERNANCE_TABLES = {
    "users",
    "projects",
    "members",
    "decisions",
    "permits",
    "audit_events",
    "audit_head",
}


def _table_of(diff: Any) -> str | None:
    """The table a schema difference is about (other modules' tables are theirs to check)."""
    if isinstance(diff, list):  # modify_* entries come grouped
        return _table_of(diff[0])
    kind, subject = diff[0], diff[1]
    if kind.endswith("_table"):
        return str(subject.name)
    if kind.endswith(("_index", "_constraint", "_fk")):
        return str(subject.table.name)
    return str(diff[2])  # add_column/remove_column/modify_*: (kind, schema, table, ...)


def test_migrations_match_models(gov: Settings) -> None:
    with db_engine(gov).connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
    assert [d for d in diffs if _table_of(d) in GOVERNANCE_TABLES] == []


def test_init_db_is_idempotent_and_seeds_the_chain_head(gov: Settings) -> None:
    init_db(gov)
    init_db(gov)
    with session_scope(gov) as session:
        heads = session.execute(select(AuditHead)).scalars().all()
        assert [(h.id, h.seq, h.hash) for h in heads] == [(1, 0, "0" * 64)]
    tables = set(inspect(db_engine(gov)).get_table_names())
    assert {"users", "projects", "members", "decisions", "permits", "audit_events"} <= tables


def test_init_db_url_hides_password(gov: Settings) -> None:
    shown = init_db(gov)
    assert ":tre@" not in shown
    assert shown.startswith(("sqlite", "postgresql"))


def test_tre_init_creates_the_database() -> None:
    from tre.cli.init import initialise

    result = initialise(load_settings())
    assert str(result["database"]).startswith("sqlite:///")
    assert load_settings().home_path.joinpath("tre.db").exists()
