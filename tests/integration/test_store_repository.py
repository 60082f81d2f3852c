"""The repository contract, run on the in-memory fake, SQLite and real PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from careshift.adapters.store import MemoryStore, SqlStore
from careshift.domain.events import (
    CensusChanged,
    Event,
    EventReversed,
    EventStatus,
    PatientArrived,
    PatientDeparted,
    ShiftSwapped,
    StaffCalledOut,
)
from careshift.service.ports import (
    CensusInterval,
    InboundMessage,
    LeaveEntry,
    OpenNeed,
    QuarantineRecord,
    RosterEntry,
    Store,
)
from careshift.service.projections import replay_census
from tests.integration.store_support import postgres_schema_url, sqlite_url

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SYSTEM = "hl7:EPIC"


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
    elif request.param == "sqlite":
        sql = SqlStore(sqlite_url(tmp_path))
        yield sql
        sql.close()
    else:
        with postgres_schema_url() as url:
            sql = SqlStore(url)
            yield sql
            sql.close()


def arrived(source_id: str, minutes: int, unit: str = "4W", entity: str = "enc:a", **kwargs: object) -> PatientArrived:
    at = T0 + timedelta(minutes=minutes)
    return PatientArrived(
        occurred_at=at, recorded_at=at, source_system=SYSTEM, source_id=source_id, entity_id=entity, unit=unit, **kwargs
    )  # type: ignore[arg-type]


def departed(source_id: str, minutes: int, unit: str = "4W", entity: str = "enc:a") -> PatientDeparted:
    at = T0 + timedelta(minutes=minutes)
    return PatientDeparted(
        occurred_at=at, recorded_at=at, source_system=SYSTEM, source_id=source_id, entity_id=entity, unit=unit
    )


def reversal(source_id: str, minutes: int, target: Event) -> EventReversed:
    at = T0 + timedelta(minutes=minutes)
    return EventReversed(
        occurred_at=at,
        recorded_at=at,
        source_system=SYSTEM,
        source_id=source_id,
        entity_id=target.entity_id,
        reverses=target.key,
    )


def message(message_id: str, origin: str = "ADT^A01") -> InboundMessage:
    return InboundMessage(SYSTEM, message_id, origin, T0)


def series(store: Store, hours: int = 4, unit: str | None = None) -> list[tuple[str, datetime, int]]:
    return [(c.unit, c.start, c.patients) for c in store.census(T0, T0 + timedelta(hours=hours), unit)]


def test_append_is_idempotent_on_source_system_and_source_id(store: Store) -> None:
    first = store.append([arrived("m1", 0), arrived("m2", 5, entity="enc:b")])
    again = store.append([arrived("m1", 0), arrived("m3", 10, entity="enc:c")])
    assert first.appended == ((SYSTEM, "m1"), (SYSTEM, "m2"))
    assert again.appended == ((SYSTEM, "m3"),)
    assert again.duplicates == ((SYSTEM, "m1"),)
    assert len(store.read()) == 3


def test_message_ledger_recognises_a_resent_message(store: Store) -> None:
    assert not store.has_message(SYSTEM, "MSG1")
    assert not store.append([arrived("MSG1", 0)], message("MSG1")).message_duplicate
    resent = store.append([arrived("MSG1", 0)], message("MSG1"))
    assert resent.message_duplicate and resent.appended == ()
    assert store.has_message(SYSTEM, "MSG1")
    assert store.counts().messages == 1


def test_read_orders_by_occurrence_time_not_arrival(store: Store) -> None:
    store.append([arrived("late", 50, entity="enc:x")])
    store.append([arrived("early", 5, entity="enc:y")])
    store.append([departed("middle", 20, entity="enc:y")])
    assert [stored.event.source_id for stored in store.read()] == ["early", "middle", "late"]
    assert [s.event.source_id for s in store.read(since=T0 + timedelta(minutes=10))] == ["middle", "late"]
    assert [s.event.source_id for s in store.read(until=T0 + timedelta(minutes=20))] == ["early"]


def test_instants_come_back_aware_and_equal(store: Store) -> None:
    local = datetime(2026, 3, 2, 9, 7, 30, 123000, tzinfo=ZoneInfo("Europe/Berlin"))
    event = PatientArrived(
        occurred_at=local, recorded_at=local, source_system=SYSTEM, source_id="tz", entity_id="enc:t", unit="ICU"
    )
    store.append([event])
    (stored,) = store.read()
    assert stored.event.occurred_at == local
    assert stored.event.occurred_at.tzinfo is not None
    assert stored.event == event


def test_census_per_unit_per_fifteen_minutes(store: Store) -> None:
    store.append([arrived("a1", 0), arrived("a2", 20, entity="enc:b"), departed("d1", 40)])
    store.append([arrived("i1", 16, unit="ICU", entity="enc:c")])
    got = series(store, hours=1)
    four_west = [(start - T0, n) for unit, start, n in got if unit == "4W"]
    assert four_west == [
        (timedelta(minutes=0), 1),
        (timedelta(minutes=15), 2),
        (timedelta(minutes=30), 1),
        (timedelta(minutes=45), 1),
    ]
    assert [n for unit, _, n in got if unit == "ICU"] == [0, 1, 1, 1]
    assert series(store, hours=1, unit="ICU") == [row for row in got if row[0] == "ICU"]


def test_census_snapshot_resets_the_count_and_planned_events_do_not_count(store: Store) -> None:
    store.append([arrived("a1", 0), arrived("a2", 1, entity="enc:b")])
    store.append(
        [
            CensusChanged(
                occurred_at=T0 + timedelta(minutes=20),
                recorded_at=T0,
                source_system="csv",
                source_id="snap",
                entity_id="4W",
                unit="4W",
                patients=7,
            )
        ]
    )
    store.append([arrived("a3", 35, entity="enc:c"), arrived("pre", 36, entity="enc:d", status=EventStatus.PLANNED)])
    assert [n for _, _, n in series(store, hours=1)] == [2, 7, 8, 8]


def test_out_of_order_arrival_gives_the_census_of_a_replay(store: Store) -> None:
    rng = random.Random(7)
    events: list[Event] = []
    for index in range(40):
        unit = rng.choice(["4W", "ICU", "ED"])
        admit = arrived(f"adm{index}", rng.randrange(0, 200), unit=unit, entity=f"enc:{index}")
        events.append(admit)
        if rng.random() < 0.6:
            events.append(departed(f"dis{index}", rng.randrange(0, 230), unit=unit, entity=f"enc:{index}"))
        if rng.random() < 0.2:
            events.append(reversal(f"cancel{index}", rng.randrange(0, 230), admit))
    shuffled = events[:]
    rng.shuffle(shuffled)
    for start in range(0, len(shuffled), 7):
        store.append(shuffled[start : start + 7])
    end = T0 + timedelta(hours=4)
    expected = replay_census(events, T0, end)
    assert store.census(T0, end) == expected
    store.rebuild_projections()
    assert store.census(T0, end) == expected
    assert any(interval.patients for interval in expected)


@pytest.mark.parametrize("reversal_first", [False, True])
def test_reversal_cancels_its_target_whichever_arrives_first(store: Store, reversal_first: bool) -> None:
    admit = arrived("A01-1", 0)
    cancel = reversal("A11-1", 30, admit)
    store.append([arrived("other", 0, entity="enc:o")])
    for batch in ([cancel], [admit]) if reversal_first else ([admit], [cancel]):
        store.append(batch)
    assert [n for _, _, n in series(store, hours=1)] == [1, 1, 1, 1]
    by_key = {stored.event.key: stored for stored in store.read()}
    assert by_key[admit.key].reversed_by == cancel.key
    assert by_key[(SYSTEM, "other")].reversed_by is None
    assert store.counts().reversed == 1


def test_latest_from_message_finds_what_a_cancellation_reverses(store: Store) -> None:
    first_transfer = [departed("t1.0", 10, unit="ED"), arrived("t1.1", 10, unit="4W")]
    second_transfer = [departed("t2.0", 60, unit="4W"), arrived("t2.1", 60, unit="ICU")]
    store.append([arrived("a", 0, unit="ED")], message("a", "ADT^A01"))
    store.append(first_transfer, message("t1", "ADT^A02"))
    store.append(second_transfer, message("t2", "ADT^A02"))
    store.append([arrived("other", 70, entity="enc:z")], message("other", "ADT^A02"))
    found = store.latest_from_message(SYSTEM, "enc:a", ["ADT^A02"], T0 + timedelta(hours=2))
    assert [event.key for event in found] == [e.key for e in second_transfer]
    assert [e.key for e in store.latest_from_message(SYSTEM, "enc:a", ["ADT^A02"], T0 + timedelta(minutes=30))] == [
        e.key for e in first_transfer
    ]
    store.append([reversal("c0", 90, second_transfer[0]), reversal("c1", 90, second_transfer[1])], message("c", "A12"))
    again = store.latest_from_message(SYSTEM, "enc:a", ["ADT^A02"], T0 + timedelta(hours=2))
    assert [event.key for event in again] == [e.key for e in first_transfer]
    assert store.latest_from_message(SYSTEM, "enc:a", ["ADT^A03"], T0 + timedelta(hours=2)) == []
    stored = {s.event.key: s for s in store.read()}
    assert stored[(SYSTEM, "t2.1")].message_id == "t2" and stored[(SYSTEM, "t2.1")].origin == "ADT^A02"


def test_quarantine_keeps_the_payload_once_and_counts_attempts(store: Store) -> None:
    record = QuarantineRecord(
        source="hl7v2/mllp",
        reason="PV1-3 is empty; send the assigned location",
        received_at=T0,
        location="PV1-3",
        code="101",
        source_system=SYSTEM,
        record_ref="MSG9",
        payload=b"MSH|^~\\&|...\rPV1|1|I|\r",
    )
    first = store.quarantine(record)
    second = store.quarantine(record)
    other = store.quarantine(
        QuarantineRecord(source="csv/roster", reason="unknown shift 'Q'", received_at=T0, location="row 4", code="enum")
    )
    assert first == second != other
    (hl7,) = store.quarantined(source="hl7v2/mllp")
    assert hl7.attempts == 2 and hl7.record.payload == record.payload and hl7.record.location == "PV1-3"
    assert len(hl7.payload_sha256) == 64
    assert [item.id for item in store.quarantined()] == [other, first]
    counts = store.counts()
    assert counts.quarantined == 2
    assert counts.quarantine_by_source == {"hl7v2/mllp": 1, "csv/roster": 1}
    assert counts.quarantine_by_code == {"101": 1, "enum": 1}


def test_roster_availability_and_open_needs(store: Store) -> None:
    monday, tuesday = date(2026, 3, 2), date(2026, 3, 3)
    roster = [
        RosterEntry("wfm", "r1", "ann", monday, "D", "4W", "RN"),
        RosterEntry("wfm", "r2", "bob", monday, "N", "4W", "RN"),
        RosterEntry("wfm", "r3", "cat", tuesday, "D", "ICU", "RN"),
        RosterEntry("wfm", "r4", "dan", tuesday, "D", "4W", "RN"),
    ]
    assert store.put_roster(roster) == 4
    assert store.put_roster(roster) == 0
    assert store.put_leave([LeaveEntry("wfm", "l1", "cat", tuesday, tuesday + timedelta(days=5))]) == 1
    swap = ShiftSwapped(
        occurred_at=T0,
        recorded_at=T0,
        source_system="wfm",
        source_id="s1",
        entity_id="ann",
        other_staff="bob",
        day=monday,
        shift="D",
        other_day=monday,
        other_shift="N",
    )
    callout = StaffCalledOut(
        occurred_at=T0, recorded_at=T0, source_system="wfm", source_id="c1", entity_id="dan", day=tuesday, shift="D"
    )
    store.append([swap, callout])
    got = {(entry.staff, entry.day, entry.shift) for entry in store.roster(monday, tuesday)}
    assert got == {("bob", monday, "D"), ("ann", monday, "N"), ("cat", tuesday, "D"), ("dan", tuesday, "D")}
    assert [entry.staff for entry in store.roster(monday, tuesday, unit="ICU")] == ["cat"]
    kinds = {(item.staff, item.day, item.kind) for item in store.availability(monday, tuesday)}
    assert kinds == {("cat", tuesday, "leave"), ("dan", tuesday, "call-out")}
    assert store.open_needs(monday, tuesday) == [
        OpenNeed("4W", tuesday, "D", "RN", "dan", ("wfm", "c1")),
        OpenNeed("ICU", tuesday, "D", "RN", "cat", ("wfm", "l1")),
    ]
    store.append([reversal("c1-cancel", 5, callout)])
    assert [need.staff for need in store.open_needs(monday, tuesday)] == ["cat"]


def test_counts_by_kind_source_and_unit(store: Store) -> None:
    store.append([arrived("a", 0), arrived("b", 1, unit="ICU", entity="enc:b"), departed("c", 2)], message("m"))
    counts = store.counts()
    assert counts.total == 3 and counts.messages == 1 and counts.reversed == 0
    assert counts.by_kind == {"PatientArrived": 2, "PatientDeparted": 1}
    assert counts.by_source == {SYSTEM: 3}
    assert counts.by_unit == {"4W": 2, "ICU": 1}


def test_census_interval_type_is_returned(store: Store) -> None:
    store.append([arrived("a", 0)])
    assert all(isinstance(item, CensusInterval) for item in store.census(T0, T0 + timedelta(minutes=30)))


def test_the_log_hands_out_events_in_arrival_order_after_a_position(store: Store) -> None:
    assert store.log_end() == 0 and store.appended_after(0) == []
    late, early = arrived("late", 90), arrived("early", 5)
    store.append([late, early])
    store.append([late])  # a duplicate takes no position
    store.append([departed("gone", 30)])
    rows = store.appended_after(0)
    assert [event.source_id for _, event in rows] == ["late", "early", "gone"]  # arrival, not occurrence, order
    positions = [position for position, _ in rows]
    assert positions == sorted(positions) and store.log_end() == positions[-1]
    assert [event.source_id for _, event in store.appended_after(positions[0])] == ["early", "gone"]
    assert [event.source_id for _, event in store.appended_after(0, limit=1)] == ["late"]
    assert store.appended_after(positions[0])[0][1] == early  # the event comes back whole


def test_feed_cursors_persist_and_never_move_back(tmp_path: Path) -> None:
    from careshift.adapters.store.stream_log import SqlFeedCursors

    sql = SqlStore(sqlite_url(tmp_path))
    try:
        cursors = SqlFeedCursors(sql.engine)
        assert cursors.position("serve") is None
        cursors.save("serve", 7)
        cursors.save("serve", 3)
        assert cursors.position("serve") == 7 and cursors.position("other") is None
        assert SqlFeedCursors(sql.engine).position("serve") == 7
    finally:
        sql.close()
