"""The event feed: from the log into the bus, from a persisted position, never losing an event."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from careshift.adapters.store import MemoryStore
from careshift.domain.events import Event, StaffCalledOut
from careshift.service.event_feed import EventFeed, MemoryCursors
from tests.unit.service_builders import Clock

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)


def call_out(n: int) -> StaffCalledOut:
    return StaffCalledOut(
        occurred_at=T0,
        recorded_at=T0,
        source_system="hl7",
        source_id=f"CO{n}",
        entity_id=f"N{n}",
        unit="4W",
        day=date(2026, 3, 3),
    )


@dataclass
class Sink:
    got: list[str] = field(default_factory=list)
    failures: int = 0

    def __call__(self, events: Sequence[Event]) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("bus down")
        self.got.extend(event.source_id for event in events)


def feed(store: object, sink: Sink, cursors: MemoryCursors, clock: Clock, idle: bool = True) -> EventFeed:
    return EventFeed(store, sink, cursors, clock, idle=lambda: idle)  # type: ignore[arg-type]


def test_a_new_feed_starts_at_the_end_of_the_log_and_delivers_what_comes_after() -> None:
    store, sink, cursors, clock = MemoryStore(), Sink(), MemoryCursors(), Clock(T0)
    store.append([call_out(1)])  # history: already in the projections every plan reads
    follower = feed(store, sink, cursors, clock)
    assert follower.position == 1 and follower.poll() == 0
    store.append([call_out(2), call_out(3)])
    assert follower.poll() == 2 and sink.got == ["CO2", "CO3"]
    assert follower.poll() == 0 and cursors.position("serve") == 3


def test_a_restart_resumes_from_the_saved_position() -> None:
    store, cursors, clock = MemoryStore(), MemoryCursors(), Clock(T0)
    first = Sink()
    feed(store, first, cursors, clock).poll()
    store.append([call_out(1)])
    feed(store, first, cursors, clock).poll()
    store.append([call_out(2)])  # appended while careshift serve was down
    again = Sink()
    feed(store, again, cursors, clock).poll()
    assert first.got == ["CO1"] and again.got == ["CO2"]


def test_the_position_is_not_saved_while_a_repair_is_pending_so_a_crash_replays_it() -> None:
    store, cursors, clock = MemoryStore(), MemoryCursors(), Clock(T0)
    busy = feed(store, Sink(), cursors, clock, idle=False)
    busy.poll()
    store.append([call_out(1)])
    busy.poll()
    assert cursors.position("serve") == 0  # the unit it noted was not repaired yet
    after_crash = Sink()
    feed(store, after_crash, cursors, clock).poll()
    assert after_crash.got == ["CO1"]


def test_a_failing_bus_is_retried_then_stepped_over_and_the_log_keeps_the_event() -> None:
    store, cursors, clock = MemoryStore(), MemoryCursors(), Clock(T0)
    sink = Sink(failures=1)
    follower = feed(store, sink, cursors, clock)
    follower.poll()
    store.append([call_out(1)])
    assert follower.poll() == 0 and follower.position == 0
    assert follower.poll() == 1 and sink.got == ["CO1"]
    sink.failures = 5
    store.append([call_out(2)])
    for _ in range(follower.max_attempts):
        follower.poll()
    assert follower.position == 2 and [s.event.source_id for s in store.read()] == ["CO1", "CO2"]


@dataclass
class GappyLog:
    """A log whose position 2 is still uncommitted (PostgreSQL: an earlier transaction)."""

    rows: dict[int, Event]

    def appended_after(self, position: int, limit: int = 500) -> list[tuple[int, Event]]:
        return sorted((p, e) for p, e in self.rows.items() if p > position)[:limit]

    def log_end(self) -> int:
        return 0


def test_a_gap_is_waited_for_then_stepped_over() -> None:
    log, cursors, clock, sink = GappyLog({1: call_out(1), 3: call_out(3)}), MemoryCursors(), Clock(T0), Sink()
    follower = feed(log, sink, cursors, clock)
    assert follower.poll() == 2 and follower.position == 1
    log.rows[2] = call_out(2)  # the earlier transaction commits late
    assert follower.poll() == 1 and follower.position == 3 and sink.got == ["CO1", "CO3", "CO2"]
    log.rows[5] = call_out(5)  # 4 was rolled back: it never comes
    follower.poll()
    assert follower.position == 3
    clock.now += timedelta(seconds=31)
    follower.poll()
    assert follower.position == 5 and sink.got[-1] == "CO5"
