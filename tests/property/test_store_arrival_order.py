"""Property: whatever order events arrive in, and however they are batched, the SQL store's
materialised census equals a replay of the log from scratch."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from careshift.adapters.store import SqlStore
from careshift.domain.events import (
    CensusChanged,
    Event,
    EventReversed,
    EventStatus,
    PatientArrived,
    PatientDeparted,
)
from careshift.service.projections import replay_census

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
UNITS = ("4W", "ICU")


@st.composite
def logs(draw: st.DrawFn) -> list[Event]:
    events: list[Event] = []
    for index in range(draw(st.integers(1, 25))):
        at = T0 + timedelta(minutes=draw(st.integers(0, 180)))
        unit = draw(st.sampled_from(UNITS))
        kind = draw(st.sampled_from(["arrive", "depart", "snapshot", "planned"]))
        common = {"occurred_at": at, "recorded_at": at, "source_system": "s", "source_id": f"e{index}"}
        if kind == "snapshot":
            events.append(CensusChanged(**common, entity_id=unit, unit=unit, patients=draw(st.integers(0, 9))))
        elif kind == "depart":
            events.append(PatientDeparted(**common, entity_id=f"p{index}", unit=unit))
        else:
            status = EventStatus.PLANNED if kind == "planned" else EventStatus.FINAL
            events.append(PatientArrived(**common, entity_id=f"p{index}", unit=unit, status=status))
    targets = draw(st.lists(st.sampled_from(events), max_size=4, unique_by=lambda event: event.key))
    for number, target in enumerate(targets):
        at = T0 + timedelta(minutes=draw(st.integers(0, 200)))
        events.append(
            EventReversed(
                occurred_at=at,
                recorded_at=at,
                source_system="s",
                source_id=f"r{number}",
                entity_id=target.entity_id,
                reverses=target.key,
            )
        )
    return events


@settings(max_examples=25, deadline=None)
@given(log=logs(), data=st.data())
def test_sql_census_equals_replay_for_any_arrival_order_and_batching(log: list[Event], data: st.DataObject) -> None:
    arrival = data.draw(st.permutations(log))
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(arrival) - 1)), max_size=5)))
    batches = [arrival[start:stop] for start, stop in zip([0, *cuts], [*cuts, len(arrival)], strict=True)]
    with tempfile.TemporaryDirectory() as directory:
        store = SqlStore(f"sqlite:///{directory}/order.db")
        try:
            for batch in batches:
                store.append_many([(batch, None)])
            store.append(arrival[: len(arrival) // 2])  # a resend of the first half changes nothing
            end = T0 + timedelta(hours=4)
            expected = replay_census(log, T0, end)
            assert store.census(T0, end) == expected
            store.rebuild_projections()
            assert store.census(T0, end) == expected
        finally:
            store.close()
