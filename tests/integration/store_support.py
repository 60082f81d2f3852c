"""Fixtures that give a test a fresh, empty store on SQLite, PostgreSQL or in memory.

PostgreSQL runs against 127.0.0.1:5432 (database ``test``, user ``postgres`` or ``root``,
trust auth). Each test gets its own schema, dropped afterwards; without a server the test
skips, or fails under ``CARESHIFT_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import port_open, require_service

PG_HOST, PG_PORT, PG_DB = "127.0.0.1", 5432, "test"
HOW = "start PostgreSQL on 127.0.0.1:5432 with trust auth and a database named 'test'"


def postgres_base_url() -> str | None:
    """A URL that connects, trying the users ``postgres`` then ``root``; ``None`` without a server."""
    if not port_open(PG_HOST, PG_PORT):
        return None
    import psycopg

    for user in ("postgres", "root"):
        try:
            with psycopg.connect(host=PG_HOST, port=PG_PORT, dbname=PG_DB, user=user, connect_timeout=3):
                return f"postgresql+psycopg://{user}@{PG_HOST}:{PG_PORT}/{PG_DB}"
        except psycopg.OperationalError:
            continue
    return None


@contextmanager
def postgres_schema_url() -> Iterator[str]:
    """A URL whose search_path is a new, empty schema; the schema is dropped on exit."""
    base = postgres_base_url()
    require_service("PostgreSQL", base is not None, HOW)
    assert base is not None
    import psycopg

    schema = f"careshift_test_{uuid.uuid4().hex[:12]}"
    user = base.split("://", 1)[1].split("@", 1)[0]
    connect = {"host": PG_HOST, "port": PG_PORT, "dbname": PG_DB, "user": user, "autocommit": True}
    with psycopg.connect(**connect) as connection:  # type: ignore[arg-type]
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(**connect) as connection:  # type: ignore[arg-type]
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'careshift.db'}"
