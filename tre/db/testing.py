"""Test helpers: an isolated PostgreSQL schema per test, so parallel runs never collide."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    """Create a fresh schema in the database at `base_url`; yield a URL that uses only it.

    The schema (and everything in it) is dropped afterwards.
    """
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        from tre.db.engine import dispose_engines

        dispose_engines()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
