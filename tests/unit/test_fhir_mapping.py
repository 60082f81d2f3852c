from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime

import pytest

from careshift.adapters.fhir.mapping import (
    CARESHIFT_ROLE,
    LocationDirectory,
    MappingConfig,
    appointment_events,
    encounter_events,
    parse_resource,
    reference_key,
    staff_from,
)
from careshift.adapters.keyed_hash import KeyedHasher
from careshift.domain.errors import DataContractError
from careshift.domain.events import (
    AppointmentBooked,
    AppointmentCancelled,
    EventReversed,
    EventStatus,
    PatientArrived,
    PatientDeparted,
)
from careshift.domain.workforce import Credential, UnitType
from tests.fhir_samples import (
    UNIT_SYSTEM,
    appointment,
    child,
    encounter,
    practitioner,
    practitioner_role,
    ward,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CONFIG = MappingConfig(
    source_system="fhir:test",
    hasher=KeyedHasher(b"0123456789abcdef0123456789abcdef"),
    default_timezone="Europe/London",
    unit_identifier_system=UNIT_SYSTEM,
    staff_identifier_system="urn:example:employee",
)


@pytest.fixture
def directory() -> LocationDirectory:
    return LocationDirectory.from_locations(
        [
            ward("w4", "4 West", unit_code="4W"),
            ward("icu", "ICU", icu=True, tz="America/Los_Angeles"),
            child("w4-r1", "w4", "ro"),
            child("w4-b1", "w4-r1", "bd"),
            child("w4-b2", "w4-r1", "bd"),
            child("w4-b3", "w4-r1", "bd", status="inactive"),
            child("icu-b1", "icu", "bd"),
            {"resourceType": "Location", "id": "amb", "mode": "kind", "name": "ambulance"},
        ],
        CONFIG,
    )


def test_locations_become_units_with_beds_timezone_and_type(directory: LocationDirectory) -> None:
    units = {unit.id: unit for unit in directory.units}
    assert set(units) == {"4W", "icu"}
    assert units["4W"].beds == 2  # the inactive bed does not count
    assert units["4W"].timezone == "Europe/London"
    assert units["icu"].unit_type is UnitType.ICU
    assert units["icu"].timezone == "America/Los_Angeles"
    assert directory.unit_of("Location/w4-b2") == "4W"
    assert directory.unit_of("https://ehr.example/fhir/Location/icu-b1/_history/7") == "icu"
    assert directory.unit_of("Location/amb") is None


def test_location_with_unknown_status_code_is_refused() -> None:
    bad = ward("w9", "9 North") | {"status": "open"}
    with pytest.raises(DataContractError, match=r"Location/w9.*Location.status is 'open'"):
        LocationDirectory.from_locations([bad], CONFIG)


def test_partof_cycle_is_reported() -> None:
    with pytest.raises(DataContractError, match="cycle"):
        LocationDirectory.from_locations([child("a", "b", "ro"), child("b", "a", "ro")], CONFIG)


def test_bed_move_inside_unit_is_one_stay_and_transfer_departs(directory: LocationDirectory) -> None:
    raw = encounter(
        "enc-1",
        "in-progress",
        [
            ("w4-b1", "2026-03-01T08:00:00+00:00", "2026-03-01T10:00:00+00:00"),
            ("w4-b2", "2026-03-01T10:00:00+00:00", "2026-03-01T14:00:00+00:00"),
            ("icu-b1", "2026-03-01T14:00:00+00:00", None),
        ],
    )
    events = encounter_events(raw, directory, CONFIG, NOW)
    assert [(type(e).__name__, e.unit, e.occurred_at.hour) for e in events] == [
        ("PatientArrived", "4W", 8),
        ("PatientDeparted", "4W", 14),
        ("PatientArrived", "icu", 14),
    ]
    assert isinstance(events[1], PatientDeparted) and events[1].reason == "transfer"
    assert isinstance(events[0], PatientArrived) and events[0].patient_class == "IMP"
    hashed = CONFIG.hasher("Encounter", "enc-1")
    assert {e.entity_id for e in events} == {hashed}
    assert len({e.key for e in events}) == 3
    # No raw encounter or patient identifier anywhere in the events.
    for event in events:
        text = " ".join(str(getattr(event, f.name)) for f in fields(event))
        assert "enc-1" not in text and "secret-mrn" not in text


def test_rereading_an_encounter_gives_the_same_keys_plus_the_departure(directory: LocationDirectory) -> None:
    open_stay = encounter("enc-2", "in-progress", [("w4-b1", "2026-03-01T08:00:00+00:00", None)])
    closed = encounter("enc-2", "finished", [("w4-b1", "2026-03-01T08:00:00+00:00", "2026-03-02T09:30:00+00:00")])
    first = encounter_events(open_stay, directory, CONFIG, NOW)
    second = encounter_events(closed, directory, CONFIG, NOW)
    assert [e.key for e in first] == [second[0].key]
    assert isinstance(second[1], PatientDeparted) and second[1].reason == "discharge"


def test_finished_encounter_without_any_end_is_refused_with_the_fix(directory: LocationDirectory) -> None:
    raw = encounter("enc-3", "finished", [("w4-b1", "2026-03-01T08:00:00+00:00", None)])
    with pytest.raises(DataContractError) as info:
        encounter_events(raw, directory, CONFIG, NOW)
    message = str(info.value)
    assert f"Encounter#{CONFIG.hasher('Encounter', 'enc-3')}" in message
    assert "period.end" in message and "enc-3" not in message


def test_finished_encounter_takes_encounter_period_end(directory: LocationDirectory) -> None:
    raw = encounter(
        "enc-4", "finished", [("w4-b1", "2026-03-01T08:00:00+00:00", None)], period_end="2026-03-01T18:00:00+00:00"
    )
    events = encounter_events(raw, directory, CONFIG, NOW)
    assert isinstance(events[-1], PatientDeparted) and events[-1].occurred_at.hour == 18


def test_entered_in_error_reverses_what_the_encounter_produced(directory: LocationDirectory) -> None:
    stays = [
        ("w4-b1", "2026-03-01T08:00:00+00:00", "2026-03-01T14:00:00+00:00"),
        ("icu-b1", "2026-03-01T14:00:00+00:00", None),
    ]
    produced = encounter_events(encounter("enc-5", "in-progress", stays), directory, CONFIG, NOW)
    reversals = encounter_events(encounter("enc-5", "entered-in-error", stays), directory, CONFIG, NOW)
    assert all(isinstance(e, EventReversed) for e in reversals)
    assert sorted(e.reverses for e in reversals if isinstance(e, EventReversed)) == sorted(e.key for e in produced)


def test_planned_encounter_produces_nothing(directory: LocationDirectory) -> None:
    raw = encounter("enc-6", "planned", [("w4-b1", "2026-03-05T08:00:00+00:00", None)])
    assert encounter_events(raw, directory, CONFIG, NOW) == ()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": "admitted"}, "Encounter.status is 'admitted'"),
        ({"class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "INPT"}}, "Encounter.class"),
    ],
)
def test_encounter_code_values_are_checked(
    directory: LocationDirectory, change: dict[str, object], message: str
) -> None:
    raw = encounter("enc-7", "in-progress", [("w4-b1", "2026-03-01T08:00:00+00:00", None)]) | change
    with pytest.raises(DataContractError, match=message):
        encounter_events(raw, directory, CONFIG, NOW)


def test_encounter_at_unknown_location_names_the_fix(directory: LocationDirectory) -> None:
    raw = encounter("enc-8", "in-progress", [("nowhere", "2026-03-01T08:00:00+00:00", None)])
    with pytest.raises(DataContractError, match=r"Location/nowhere.*load the Location"):
        encounter_events(raw, directory, CONFIG, NOW)


def test_date_only_arrival_is_refused(directory: LocationDirectory) -> None:
    raw = encounter("enc-9", "in-progress", [("w4-b1", "2026-03-01", None)])
    with pytest.raises(DataContractError, match="without a time"):
        encounter_events(raw, directory, CONFIG, NOW)


def test_structural_errors_do_not_echo_values() -> None:
    raw = {"resourceType": "Encounter", "id": "enc-x", "status": "finished", "class": "Jane Doe 1970-01-01"}
    with pytest.raises(DataContractError) as info:
        parse_resource(raw)
    assert "Jane Doe" not in str(info.value) and "class" in str(info.value)


def test_appointments_book_cancel_and_stay_tentative(directory: LocationDirectory) -> None:
    booked = appointment_events(
        appointment("ap-1", "booked", "w4", "2026-03-03T09:00:00+00:00", "2026-03-03T10:30:00+00:00"),
        directory,
        CONFIG,
        NOW,
    )
    assert len(booked) == 1 and isinstance(booked[0], AppointmentBooked)
    assert booked[0].unit == "4W" and booked[0].status is EventStatus.FINAL
    assert booked[0].end - booked[0].start == datetime(2026, 1, 1, 1, 30) - datetime(2026, 1, 1)

    cancelled = appointment_events(appointment("ap-1", "cancelled", "w4", None, None), directory, CONFIG, NOW)
    assert isinstance(cancelled[0], AppointmentCancelled) and cancelled[0].booking_key == booked[0].key

    proposed = appointment_events(
        appointment("ap-2", "proposed", "w4", "2026-03-04T09:00:00+00:00", "2026-03-04T10:00:00+00:00"),
        directory,
        CONFIG,
        NOW,
    )
    assert proposed[0].status is EventStatus.TENTATIVE
    assert appointment_events(appointment("ap-3", "waitlist", "w4", None, None), directory, CONFIG, NOW) == ()


def test_appointment_without_unit_or_with_bad_status_is_refused(directory: LocationDirectory) -> None:
    with pytest.raises(DataContractError, match="no participant whose actor is a Location"):
        appointment_events(
            appointment("ap-4", "booked", None, "2026-03-03T09:00:00+00:00", "2026-03-03T10:00:00+00:00"),
            directory,
            CONFIG,
            NOW,
        )
    with pytest.raises(DataContractError, match="Appointment.status is 'confirmed'"):
        appointment_events(appointment("ap-5", "confirmed", "w4", None, None), directory, CONFIG, NOW)


def test_staff_from_practitioner_and_roles(directory: LocationDirectory) -> None:
    roles = [
        practitioner_role("r1", "n1", locations=("w4",), specialty="Telemetry"),
        practitioner_role("r2", "n1", code=(CARESHIFT_ROLE, "CHARGE"), locations=("icu-b1",)),
        practitioner_role("r3", "n1", code=(CARESHIFT_ROLE, "CNA"), active=False),
    ]
    staff = staff_from(practitioner("n1"), roles, directory, CONFIG, date(2026, 3, 2))
    assert staff is not None
    assert staff.id == "E-n1" and staff.name == "Ada Lovelace"
    assert staff.roles == frozenset({"RN", "CHARGE"})
    assert staff.skills == frozenset({"telemetry"})
    assert staff.home_unit == "4W" and staff.float_units == frozenset({"icu"})
    assert staff.credentials == (Credential("RN-CA", date(2027, 3, 31)), Credential("ACLS", None))
    assert staff.has_credential("RN-CA", date(2027, 3, 31)) and not staff.has_credential("RN-CA", date(2027, 4, 1))


def test_staff_without_active_role_or_inactive_is_not_rosterable(directory: LocationDirectory) -> None:
    expired = [practitioner_role("r1", "n2", period=("2020-01-01", "2025-12-31"))]
    assert staff_from(practitioner("n2"), expired, directory, CONFIG, date(2026, 3, 2)) is None
    current = [practitioner_role("r1", "n3")]
    assert staff_from(practitioner("n3", active=False), current, directory, CONFIG, date(2026, 3, 2)) is None


def test_unknown_role_code_is_refused_with_the_fix(directory: LocationDirectory) -> None:
    roles = [practitioner_role("r9", "n4", code=("urn:local", "NURSE-BANK"))]
    with pytest.raises(DataContractError, match=r"PractitionerRole/r9.*urn:local\|NURSE-BANK.*role_codes"):
        staff_from(practitioner("n4"), roles, directory, CONFIG, date(2026, 3, 2))


def test_role_of_another_practitioner_is_refused(directory: LocationDirectory) -> None:
    with pytest.raises(DataContractError, match="another practitioner"):
        staff_from(practitioner("n5"), [practitioner_role("r1", "n6")], directory, CONFIG, date(2026, 3, 2))


@pytest.mark.parametrize(
    ("reference", "key"),
    [
        ("Location/1", "Location/1"),
        ("http://x/fhir/Location/1/_history/2", "Location/1"),
        ("#contained", None),
        (None, None),
        ("Location", None),
    ],
)
def test_reference_key(reference: str | None, key: str | None) -> None:
    assert reference_key(reference) == key


def test_map_resource_dispatches_by_type(directory: LocationDirectory) -> None:
    from careshift.adapters.fhir.ingest import map_resource

    assert map_resource(ward("w9", "9 North"), directory, CONFIG, NOW) == ()
    raw = encounter("enc-10", "in-progress", [("w4-b1", "2026-03-01T08:00:00+00:00", None)])
    assert [e.kind for e in map_resource(raw, directory, CONFIG, NOW)] == ["PatientArrived"]


def test_stay_left_open_ends_when_the_next_unit_starts(directory: LocationDirectory) -> None:
    raw = encounter(
        "enc-11",
        "in-progress",
        [("w4-b1", "2026-03-01T08:00:00+00:00", None), ("icu-b1", "2026-03-01T14:00:00+00:00", None)],
    )
    events = encounter_events(raw, directory, CONFIG, NOW)
    assert [(e.kind, e.unit, e.occurred_at.hour) for e in events] == [
        ("PatientArrived", "4W", 8),
        ("PatientDeparted", "4W", 14),
        ("PatientArrived", "icu", 14),
    ]


def test_two_wards_with_the_same_unit_id_are_refused() -> None:
    with pytest.raises(DataContractError, match="maps to unit '4W'"):
        LocationDirectory.from_locations([ward("a", "A", unit_code="4W"), ward("b", "B", unit_code="4W")], CONFIG)
