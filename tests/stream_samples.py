"""One canonical event of every kind, for the stream tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from careshift.domain.events import (
    AppointmentBooked,
    AppointmentCancelled,
    CensusChanged,
    Event,
    EventReversed,
    EventStatus,
    PatientArrived,
    PatientDeparted,
    ResourceShortage,
    ShiftSwapped,
    StaffCalledOut,
    StaffClockedIn,
)

T0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
PLUS_ONE = timezone(timedelta(hours=1))


def every_kind() -> list[Event]:
    common = {"recorded_at": T0, "source_system": "test"}
    return [
        PatientArrived(
            occurred_at=T0, source_id="1", entity_id="h1", unit="4W", patient_class="IMP", acuity=3, **common
        ),
        PatientDeparted(
            occurred_at=T0.astimezone(PLUS_ONE), source_id="2", entity_id="h1", unit="4W", reason="discharge", **common
        ),
        CensusChanged(occurred_at=T0, source_id="3", entity_id="4W", unit="4W", patients=17, **common),
        AppointmentBooked(
            occurred_at=T0,
            source_id="4",
            entity_id="a1",
            unit="OR",
            start=T0,
            end=T0 + timedelta(hours=2),
            status=EventStatus.TENTATIVE,
            confidence=0.5,
            **common,
        ),
        AppointmentCancelled(
            occurred_at=T0, source_id="5", entity_id="a1", unit="OR", booking_key=("test", "4"), **common
        ),
        StaffClockedIn(occurred_at=T0, source_id="6", entity_id="n1", unit="4W", shift="D", **common),
        StaffCalledOut(
            occurred_at=T0, source_id="7", entity_id="n1", day=date(2026, 3, 3), shift="N", reason="sick", **common
        ),
        ShiftSwapped(
            occurred_at=T0,
            source_id="8",
            entity_id="n1",
            other_staff="n2",
            day=date(2026, 3, 3),
            shift="D",
            other_day=date(2026, 3, 4),
            other_shift="N",
            **common,
        ),
        ResourceShortage(
            occurred_at=T0, source_id="9", entity_id="4W", unit="4W", resource="beds", shortfall=2, **common
        ),
        EventReversed(occurred_at=T0, source_id="10", entity_id="h1", unit="4W", reverses=("test", "1"), **common),
    ]


def arrival(unit: str, n: int) -> PatientArrived:
    return PatientArrived(
        occurred_at=T0 + timedelta(minutes=n),
        recorded_at=T0,
        source_system="test",
        source_id=f"{unit}-{n}",
        entity_id=f"h{n}",
        unit=unit,
    )


class IdempotentStore:
    """A fake of the event log's contract: a second event with the same key changes nothing."""

    def __init__(self, fail_on: set[str] | None = None) -> None:
        self.events: dict[tuple[str, str], Event] = {}
        self.calls = 0
        self.fail_on = set(fail_on or ())

    async def add(self, event: Event) -> None:
        self.calls += 1
        if event.source_id in self.fail_on:
            self.fail_on.discard(event.source_id)
            raise RuntimeError("store commit failed")
        self.events.setdefault(event.key, event)
