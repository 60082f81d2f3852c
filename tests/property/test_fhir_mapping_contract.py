"""Property: whatever a FHIR server sends in the elements careshift reads, mapping an
Encounter or Appointment either yields events or raises DataContractError — never another
exception (a KeyError or AttributeError would crash an export run instead of quarantining)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from careshift.adapters.fhir.mapping import LocationDirectory, MappingConfig, appointment_events, encounter_events
from careshift.adapters.keyed_hash import KeyedHasher
from careshift.domain.errors import DataContractError
from tests.fhir_samples import appointment, child, encounter, ward

CONFIG = MappingConfig(source_system="fhir:prop", hasher=KeyedHasher(b"p" * 32))
DIRECTORY = LocationDirectory.from_locations([ward("w", "W"), child("b", "w", "bd")], CONFIG)
NOW = datetime(2026, 3, 2, tzinfo=UTC)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.text(max_size=12)
    | st.sampled_from(["2026-03-01", "2026-03-01T08:00:00+00:00", "2026-03-01T08:00:00", "Location/b", "finished"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["start", "end", "reference", "code"]), inner, max_size=3)
    ),
    max_leaves=8,
)

ENCOUNTER_PATHS = [
    ("status",),
    ("class",),
    ("period",),
    ("location",),
    ("location", 0, "status"),
    ("location", 0, "period"),
    ("location", 0, "period", "start"),
    ("location", 0, "period", "end"),
    ("location", 0, "location"),
    ("location", 0, "location", "reference"),
]
APPOINTMENT_PATHS = [("status",), ("start",), ("end",), ("participant",), ("participant", 1, "actor"), ("id",)]


def mutate(resource: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    result = copy.deepcopy(resource)
    target: Any = result
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return result


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(ENCOUNTER_PATHS), json_values, st.sampled_from(["in-progress", "finished", "entered-in-error"]))
def test_encounter_maps_or_fails_with_a_contract_error(path: tuple[Any, ...], value: Any, status: str) -> None:
    base = encounter("e", status, [("b", "2026-03-01T08:00:00+00:00", "2026-03-01T09:00:00+00:00")])
    try:
        encounter_events(mutate(base, path, value), DIRECTORY, CONFIG, NOW)
    except DataContractError:
        pass


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(APPOINTMENT_PATHS), json_values)
def test_appointment_maps_or_fails_with_a_contract_error(path: tuple[Any, ...], value: Any) -> None:
    base = appointment("a", "booked", "w", "2026-03-01T08:00:00+00:00", "2026-03-01T09:00:00+00:00")
    try:
        appointment_events(mutate(base, path, value), DIRECTORY, CONFIG, NOW)
    except DataContractError:
        pass
