from dataclasses import replace
from datetime import UTC, datetime, timedelta

from careshift.telemetry.audit import MemoryAuditStore, record, verify

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def chain(length: int) -> MemoryAuditStore:
    store = MemoryAuditStore()
    for i in range(length):
        record(
            store,
            at=T0 + timedelta(minutes=i),
            actor=f"user{i % 2}",
            scope="unit:4W",
            action="decision.accept",
            payload={"recommendation": f"r{i}", "changes": [i, i + 1]},
        )
    return store


def test_an_untouched_chain_verifies() -> None:
    report = verify(chain(5).entries())
    assert report.ok and report.entries == 5


def test_altered_payload_is_detected_at_that_entry() -> None:
    store = chain(5)
    store.items[2] = replace(store.items[2], payload={"recommendation": "forged"})
    report = verify(store.entries())
    assert not report.ok and report.broken_at == 2 and "altered" in report.problem


def test_removed_entry_is_detected() -> None:
    store = chain(5)
    del store.items[3]
    report = verify(store.entries())
    assert not report.ok and report.broken_at == 4


def test_rehashing_one_entry_still_breaks_the_next_link() -> None:
    store = chain(4)
    forged = replace(store.items[1], actor="mallory")
    from hashlib import sha256

    store.items[1] = replace(forged, hash=sha256(forged.canonical()).hexdigest())
    report = verify(store.entries())
    assert not report.ok and report.broken_at == 2 and "previous entry" in report.problem
