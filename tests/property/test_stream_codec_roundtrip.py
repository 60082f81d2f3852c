"""Property: every canonical event survives the stream's JSON wire format unchanged, and any
byte string either decodes to an event or fails with DataContractError (never anything else)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from careshift.adapters.stream.codec import decode_event, encode_event
from careshift.domain.errors import DataContractError
from careshift.domain.events import AppointmentBooked, CensusChanged, EventStatus, PatientArrived

offsets = st.integers(min_value=-14 * 4, max_value=14 * 4).map(lambda q: timezone(timedelta(minutes=15 * q)))
instants = st.builds(
    lambda dt, tz: dt.replace(tzinfo=UTC).astimezone(tz),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1)),
    offsets,
)
text = st.text(min_size=1, max_size=30)
common = {
    "occurred_at": instants,
    "recorded_at": instants,
    "source_system": text,
    "source_id": text,
    "entity_id": text,
    "unit": st.none() | text,
    "status": st.sampled_from(EventStatus),
    "confidence": st.floats(min_value=0.0, max_value=1.0),
}
events = st.one_of(
    st.builds(PatientArrived, patient_class=st.text(max_size=5), acuity=st.none() | st.integers(1, 5), **common),
    st.builds(CensusChanged, patients=st.integers(0, 10_000), **common),
    st.builds(AppointmentBooked, start=instants, end=instants, **common),
)


@given(events)
def test_events_round_trip(event: PatientArrived | CensusChanged | AppointmentBooked) -> None:
    assert decode_event(encode_event(event), "p") == event


@given(st.binary(max_size=200))
def test_arbitrary_bytes_decode_or_fail_cleanly(payload: bytes) -> None:
    try:
        decode_event(payload, "p")
    except DataContractError:
        pass
