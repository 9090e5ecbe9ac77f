"""Engines (one per database URL and process), sessions and migrations."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tre.config import Settings
from tre.errors import ConfigError
from tre.i18n import _

if TYPE_CHECKING:  # alembic is imported only when migrating: it is slow to import
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000

_engines: dict[str, Engine] = {}
_lock = threading.Lock()
_SETTINGS_KEY = "tre.settings"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def db_engine(settings: Settings) -> Engine:
    """The process-wide engine for `settings.db_url`."""
    url = settings.db_url
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            parsed = make_url(url)
            if parsed.get_backend_name() == "sqlite" and parsed.database:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, pool_pre_ping=True)
            if parsed.get_backend_name() == "sqlite":
                _configure_sqlite(engine)
            _engines[url] = engine
    return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests, and before forking)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def session_scope(settings: Settings) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    factory = sessionmaker(
        db_engine(settings), expire_on_commit=False, info={_SETTINGS_KEY: settings}
    )
    with factory() as session, session.begin():
        yield session


def session_settings(session: Session) -> Settings | None:
    """The settings a session was opened with (for work that follows its commit)."""
    found = session.info.get(_SETTINGS_KEY)
    return found if isinstance(found, Settings) else None


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def init_db(settings: Settings) -> str:
    """Migrate the control database to the latest schema; return its URL (no password)."""
    from alembic import command

    engine = db_engine(settings)
    config = alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")  # areas add migrations on their own branches
    except OperationalError as exc:
        raise ConfigError(
            _("The control database cannot be opened or migrated ({error}).").format(
                error=type(exc.orig).__name__
            ),
            hint=_("Check database_url and that the database server runs."),
        ) from None
    return make_url(settings.db_url).render_as_string(hide_password=True)
