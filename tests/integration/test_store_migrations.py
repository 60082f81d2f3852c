"""Alembic migrations shipped in the package run programmatically, idempotently, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from careshift.adapters.store import default_url, upgrade
from careshift.adapters.store.schema import Base
from tests.integration.store_support import postgres_schema_url, sqlite_url


def head_revision() -> str:
    """The newest migration shipped in the package (later migrations may be added by other areas)."""
    from alembic.script import ScriptDirectory

    from careshift.adapters.store.database import MIGRATIONS

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "nested" / "dir")
    else:
        with postgres_schema_url() as url:
            yield url


def test_upgrade_creates_every_model_table_and_is_idempotent(empty_db: str) -> None:
    upgrade(empty_db)
    upgrade(empty_db)
    engine = create_engine(empty_db)
    try:
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        with engine.connect() as connection:
            assert connection.execute(text("select version_num from alembic_version")).scalar_one() == head_revision()
        for name, table in Base.metadata.tables.items():
            columns = {column["name"] for column in inspect(engine).get_columns(name)}
            assert columns == set(table.columns.keys()), name
    finally:
        engine.dispose()


def test_default_url_is_a_sqlite_file_in_the_user_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    from platformdirs import user_data_dir

    monkeypatch.delenv("CARESHIFT_DATABASE_URL", raising=False)
    assert default_url() == f"sqlite:///{Path(user_data_dir('careshift')) / 'careshift.db'}"
    monkeypatch.setenv("CARESHIFT_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert default_url() == "postgresql+psycopg://u@h/db"


def test_a_locked_sqlite_file_is_named_with_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two demos on one file: the second says the file is held by another process, not that a
    server should be "running and reachable"."""
    import sqlite3

    from careshift.adapters.store import database
    from careshift.domain.errors import ServiceUnavailableError

    monkeypatch.setattr(database, "SQLITE_BUSY_SECONDS", 1)
    path = tmp_path / "shared.db"
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("PRAGMA journal_mode=WAL")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("CREATE TABLE held (a INTEGER)")
        with pytest.raises(ServiceUnavailableError) as caught:
            upgrade(f"sqlite:///{path}")
    finally:
        holder.close()
    message = str(caught.value)
    assert str(path) in message and "database is locked" in message
    assert "careshift demo" in message and "CARESHIFT_DATABASE_URL" in message
    assert "running and reachable" not in message
    upgrade(f"sqlite:///{path}")  # once the other process lets go, the same file migrates


def test_an_unreachable_server_is_named_without_its_password() -> None:
    from careshift.domain.errors import ServiceUnavailableError

    with pytest.raises(ServiceUnavailableError) as caught:
        upgrade("postgresql+psycopg://careshift:s3cret@127.0.0.1:9/careshift?connect_timeout=2")
    message = str(caught.value)
    assert "127.0.0.1:9" in message and "running and reachable" in message
    assert "s3cret" not in message
