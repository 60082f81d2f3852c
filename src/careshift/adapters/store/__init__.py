"""Durable storage: the canonical event log, the message ledger, quarantine and projections.

``open_store(url)`` returns a migrated ``SqlStore`` (SQLite file by default, PostgreSQL by
URL); ``MemoryStore`` is the in-memory twin for unit tests. Importing this package opens
nothing.
"""

from __future__ import annotations

from careshift.adapters.store.database import ENV_VAR, default_url, make_engine, upgrade
from careshift.adapters.store.memory import MemoryStore
from careshift.adapters.store.sql import SqlStore


def open_store(url: str | None = None, *, migrate: bool = True) -> SqlStore:
    """A store on ``url`` (default: ``$CARESHIFT_DATABASE_URL`` or the user data SQLite file)."""
    return SqlStore(url or default_url(), migrate=migrate)


__all__ = ["ENV_VAR", "MemoryStore", "SqlStore", "default_url", "make_engine", "open_store", "upgrade"]
