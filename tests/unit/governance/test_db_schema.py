"""Migrations build exactly the models' schema; init_db is idempotent and hides passwords."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from tre.config import Settings, load_settings
from tre.db import AuditHead, Base, db_engine, init_db, session_scope


def test_migrations_match_models(gov: Settings) -> None:
    with db_engine(gov).connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


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
