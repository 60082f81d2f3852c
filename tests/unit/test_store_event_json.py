"""Every canonical event type survives the JSON codec the store and stream use."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from careshift.adapters.event_json import event_from_dict, event_to_dict
from careshift.domain.errors import DataContractError
from careshift.domain.events import (
    EVENT_TYPES,
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

AT = datetime(2026, 3, 2, 8, 0, 15, 123456, tzinfo=timezone(timedelta(hours=-5)))
BASE = {"occurred_at": AT, "recorded_at": AT.astimezone(UTC), "source_system": "s", "source_id": "1", "entity_id": "e"}
EXAMPLES: list[Event] = [
    PatientArrived(**BASE, unit="4W", patient_class="I", acuity=3, status=EventStatus.TENTATIVE, confidence=0.5),
    PatientDeparted(**BASE, unit="4W", reason="discharge"),
    CensusChanged(**BASE, unit="4W", patients=12),
    AppointmentBooked(**BASE, unit="OR", start=AT, end=AT + timedelta(hours=2)),
    AppointmentCancelled(**BASE, booking_key=("fhir", "Appointment/1")),
    StaffClockedIn(**BASE, unit="4W", shift="D"),
    StaffCalledOut(**BASE, day=date(2026, 3, 3), shift=None, reason="sick"),
    ShiftSwapped(**BASE, other_staff="b", day=date(2026, 3, 3), shift="D", other_day=date(2026, 3, 4), other_shift="N"),
    ResourceShortage(**BASE, unit="ICU", resource="bed", shortfall=2),
    EventReversed(**BASE, reverses=("s", "0")),
]


def test_examples_cover_every_event_type() -> None:
    assert {event.kind for event in EXAMPLES} == set(EVENT_TYPES)


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda event: event.kind)
def test_round_trip_through_json_text(event: Event) -> None:
    data = json.loads(json.dumps(event_to_dict(event)))
    assert event_from_dict(data) == event


def test_unknown_kind_and_bad_fields_are_contract_errors() -> None:
    with pytest.raises(DataContractError, match="unknown event kind"):
        event_from_dict({"kind": "PatientTeleported"})
    data = event_to_dict(EXAMPLES[2])
    data["patients"] = -1
    with pytest.raises(DataContractError, match="cannot build CensusChanged"):
        event_from_dict(data)
    with pytest.raises(DataContractError, match="ISO 8601"):
        event_from_dict({**event_to_dict(EXAMPLES[0]), "occurred_at": 5})
