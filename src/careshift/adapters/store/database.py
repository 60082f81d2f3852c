"""Database URLs, engines and migrations.

SQLite is the default (one file under the user's data directory); PostgreSQL is chosen by
URL (``postgresql+psycopg://user@host/db``). SQLite runs in WAL mode with
``synchronous=FULL`` so a commit survives a crash of the process *and* of the machine:
the MLLP listener acknowledges only what is on disk.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from careshift.domain.errors import ServiceUnavailableError

if TYPE_CHECKING:
    from careshift.adapters.store.sql import SqlStore

ENV_VAR = "CARESHIFT_DATABASE_URL"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def default_url() -> str:
    """``$CARESHIFT_DATABASE_URL``, else a SQLite file in the platform's user data directory."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return configured
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir('careshift')) / 'careshift.db'}"


SQLITE_BUSY_SECONDS = 30
"""How long a SQLite connection waits for another writer's lock before it gives up."""


def _sqlite_pragmas(synchronous: str) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        cursor.close()

    return on_connect


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or ``None`` (another database, or SQLite in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).expanduser()


def make_engine(url: str, *, sqlite_synchronous: str = "FULL") -> Engine:
    """An engine for ``url``; creates the SQLite file's directory. Raises ``ServiceUnavailableError``.

    ``sqlite_synchronous="NORMAL"`` is only for a store that makes its commits durable
    itself (the decision store's group commit, ``store.durability``)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ServiceUnavailableError(
            f"cannot read database URL ({exc}); use sqlite:///path/to/file.db or postgresql+psycopg://user@host/db"
        ) from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_SECONDS})
        event.listen(engine, "connect", _sqlite_pragmas(sqlite_synchronous))
        return engine
    return create_engine(parsed, pool_pre_ping=True)


@contextmanager
def guarded_session(engine: Engine, *, write: bool, store: str, then: str) -> Iterator[Session]:
    """A session on ``engine`` (inside one transaction when ``write``) whose lost or refused
    connections become ``ServiceUnavailableError``: "<store> is unavailable (<driver error>);
    <then>", where ``then`` tells the caller what became of its input and what to do."""
    try:
        with Session(engine) as session:
            if write:
                with session.begin():
                    yield session
            else:
                yield session
    except (OperationalError, InterfaceError) as exc:
        raise ServiceUnavailableError(f"{store} is unavailable ({type(exc.orig).__name__}); {then}") from exc


def upgrade(url: str, engine: Engine | None = None) -> None:
    """Bring the database at ``url`` to the latest schema (Alembic ``upgrade head``)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    owned = engine is None
    engine = engine or make_engine(url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except SQLAlchemyError as exc:
        raise ServiceUnavailableError(_migration_failed(url, exc)) from exc
    finally:
        if owned:
            engine.dispose()


def _migration_failed(url: str, exc: SQLAlchemyError) -> str:
    """Why a migration failed, and what to do, for the database kind behind ``url``: a
    SQLite file is not "running"; it is locked by another process or not writable."""
    reason = str(getattr(exc, "orig", None) or type(exc).__name__).splitlines()[0]
    path = sqlite_path(url)
    if path is None:
        shown = make_url(url).render_as_string(hide_password=True)
        return f"cannot migrate the database at {shown} ({reason}); check that it is running and reachable"
    if "locked" in reason:
        return (
            f"cannot migrate the SQLite database {path} ({reason}): another process holds it, such as a "
            f"second `careshift demo` or `careshift serve` on the same file; stop that one, or point "
            f"--db / {ENV_VAR} at another file"
        )
    return f"cannot migrate the SQLite database {path} ({reason}); check that the file and its folder are writable"


def open_existing(url: str) -> SqlStore:
    """A store on an existing, migrated database; never creates one (for read-only commands)."""
    from sqlalchemy import inspect

    from careshift.adapters.store.sql import SqlStore

    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        if not Path(parsed.database).expanduser().exists():
            raise ServiceUnavailableError(
                f"no database at {shown}; start `careshift ingest mllp` first or point --db / {ENV_VAR} at it"
            )
    store = SqlStore(url, migrate=False)
    try:
        present = inspect(store.engine).has_table("event")
    except SQLAlchemyError as exc:
        store.close()
        raise ServiceUnavailableError(f"cannot reach {shown} ({type(exc).__name__}); is the server running?") from exc
    if not present:
        store.close()
        raise ServiceUnavailableError(f"{shown} has no careshift tables; check --db / {ENV_VAR}")
    return store
