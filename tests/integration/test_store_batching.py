"""Bulk writes of the store in batches (one transaction each): roster/leave upserts and
quarantine, with the same results as one-by-one writes, on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from careshift.adapters.store import MemoryStore, SqlStore, sql
from careshift.service.ports import LeaveEntry, QuarantineRecord, RosterEntry, Store
from tests.integration.store_support import postgres_schema_url, sqlite_url

T0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setattr(sql, "BATCH", 7)  # several batches from a few dozen rows
    if request.param == "memory":
        yield MemoryStore()
    elif request.param == "sqlite":
        opened = SqlStore(sqlite_url(tmp_path))
        yield opened
        opened.close()
    else:
        with postgres_schema_url() as url:
            opened = SqlStore(url)
            yield opened
            opened.close()


def roster(count: int, shift: str = "D") -> list[RosterEntry]:
    return [
        RosterEntry("csv/roster", f"r{n}", f"s{n % 5}", date(2026, 3, 2) + timedelta(days=n // 5), shift, "4W", None)
        for n in range(count)
    ]


def test_roster_upsert_in_batches_counts_only_changes(store: Store) -> None:
    assert store.put_roster(roster(30)) == 30
    assert store.put_roster(roster(30)) == 0
    changed = roster(30)
    changed[3] = RosterEntry("csv/roster", "r3", "s3", date(2026, 3, 2), "N", "ICU", "RN")
    changed[22] = RosterEntry("csv/roster", "r22", "s9", date(2026, 3, 6), "D", "4W", None)
    assert store.put_roster([*changed, *roster(33)[30:]]) == 2 + 3
    rows = {entry.source_id: entry for entry in store.roster(date(2026, 3, 1), date(2026, 3, 31))}
    assert len(rows) == 33 and rows["r3"] == changed[3] and rows["r22"].staff == "s9"


def test_leave_upsert_in_batches(store: Store) -> None:
    leave = [LeaveEntry("wfm", f"l{n}", f"s{n}", date(2026, 3, 2), date(2026, 3, 4), "annual") for n in range(15)]
    assert store.put_leave(leave) == 15
    assert store.put_leave(leave) == 0
    assert len(store.availability(date(2026, 3, 1), date(2026, 3, 31))) == 15 * 3  # one per staff and day


def test_quarantine_many_keeps_each_record_once_and_counts_attempts(store: Store) -> None:
    records = [
        QuarantineRecord("csv/roster", f"row {n}: end before start", T0, location=f"row {n}", payload=f"r{n}".encode())
        for n in range(20)
    ]
    assert store.quarantine_many(records) == 20
    again = [records[0], records[0], records[19]]
    assert store.quarantine_many(rec for rec in again) == 3
    kept = {item.record.location: item for item in store.quarantined(limit=100)}
    assert len(kept) == 20
    assert kept["row 0"].attempts == 3 and kept["row 19"].attempts == 2 and kept["row 5"].attempts == 1
    assert store.quarantine(records[5]) == kept["row 5"].id
    assert store.quarantined(limit=100)[-1].record.reason == "row 0: end before start"
