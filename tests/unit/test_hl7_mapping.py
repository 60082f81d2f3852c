"""ADT triggers to canonical events, ids hashed, ordering by EVN-6, header checks and encodings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from careshift.adapters.hl7v2.identity import IdentifierHasher
from careshift.adapters.hl7v2.mapping import map_adt
from careshift.adapters.hl7v2.message import Hl7Error, Hl7Message, codec_for, parse_timestamp, read_header
from careshift.domain.errors import ServiceUnavailableError
from careshift.domain.events import EventStatus, PatientArrived, PatientDeparted
from tests.hl7_builders import KEY, T0, adt

HASHER = IdentifierHasher(KEY)
RECEIVED = T0 + timedelta(hours=1)


def parse(raw: bytes) -> Hl7Message:
    header = read_header(raw)
    return Hl7Message(raw, header, codec_for(header))


def mapped(raw: bytes):  # type: ignore[no-untyped-def]
    return map_adt(parse(raw), HASHER, RECEIVED, UTC)


def test_admit_is_an_arrival_on_pv1_3_at_evn_6_with_hashed_visit() -> None:
    result = mapped(adt("A01", "MSG1", unit="4W", visit="V123", minutes=5))
    (event,) = result.events
    assert isinstance(event, PatientArrived)
    assert event.unit == "4W" and event.patient_class == "I"
    assert event.occurred_at == T0 + timedelta(minutes=5)
    assert event.recorded_at == RECEIVED
    assert event.key == ("hl7v2:EPIC@GENHOSP", "MSG1")
    assert event.entity_id == HASHER.token("enc", "V123", "GENHOSP")
    assert "V123" not in event.entity_id and "MRN1" not in repr(result)
    assert result.message.origin == "ADT^A01" and result.message.message_id == "MSG1"


def test_hash_depends_on_the_key() -> None:
    assert IdentifierHasher(KEY).token("enc", "V1") != IdentifierHasher(KEY + b"x").token("enc", "V1")
    with pytest.raises(ServiceUnavailableError, match="at least 16"):
        IdentifierHasher(b"short")


def test_patient_id_is_the_fallback_identity() -> None:
    (event,) = mapped(adt("A01", "M", visit="")).events
    assert event.entity_id == HASHER.token("pat", "MRN1", "GENHOSP")


def test_transfer_leaves_prior_location_and_arrives_at_new() -> None:
    out, into = mapped(adt("A02", "T1", unit="ICU", prior="4W")).events
    assert isinstance(out, PatientDeparted) and out.unit == "4W" and out.source_id == "T1"
    assert isinstance(into, PatientArrived) and into.unit == "ICU" and into.source_id == "T1#1"


@pytest.mark.parametrize(
    ("trigger", "kind", "status"),
    [
        ("A03", PatientDeparted, EventStatus.FINAL),
        ("A04", PatientArrived, EventStatus.FINAL),
        ("A05", PatientArrived, EventStatus.PLANNED),
        ("A21", PatientDeparted, EventStatus.FINAL),
        ("A22", PatientArrived, EventStatus.FINAL),
    ],
)
def test_single_event_triggers(trigger: str, kind: type, status: EventStatus) -> None:
    (event,) = mapped(adt(trigger, "X")).events
    assert isinstance(event, kind) and event.status is status and event.unit == "4W"


@pytest.mark.parametrize("trigger", ["A06", "A07", "A08"])
def test_updates_move_only_when_the_location_changes(trigger: str) -> None:
    assert mapped(adt(trigger, "U", unit="4W")).events == ()
    assert mapped(adt(trigger, "U", unit="4W", prior="4W")).events == ()
    out, into = mapped(adt(trigger, "U", unit="ICU", prior="4W")).events
    assert (out.unit, into.unit) == ("4W", "ICU")


def test_swap_moves_both_patients_and_leaves_counts_unchanged() -> None:
    events = mapped(adt("A17", "S", unit="4W", extra_groups=[("MRN2", "V2", "ICU")])).events
    moves = [(type(event).__name__, event.unit) for event in events]
    assert moves == [
        ("PatientDeparted", "ICU"),
        ("PatientArrived", "4W"),
        ("PatientDeparted", "4W"),
        ("PatientArrived", "ICU"),
    ]
    assert len({event.entity_id for event in events}) == 2


@pytest.mark.parametrize(
    ("trigger", "origins"), [("A11", ("ADT^A01", "ADT^A04")), ("A12", ("ADT^A02",)), ("A13", ("ADT^A03",))]
)
def test_cancellations_ask_to_reverse_the_original(trigger: str, origins: tuple[str, ...]) -> None:
    result = mapped(adt(trigger, "C", minutes=9))
    assert result.events == ()
    assert result.cancellation is not None
    assert result.cancellation.origins == origins
    assert result.cancellation.occurred_at == T0 + timedelta(minutes=9)


def test_msh_7_orders_when_evn_6_is_absent() -> None:
    raw = adt("A01", "M").replace(b"||||20260302080000+0000", b"||||")
    (event,) = mapped(raw).events
    assert event.occurred_at == T0 + timedelta(seconds=30)


def test_latin_1_message_is_decoded_from_msh_18() -> None:
    (event,) = mapped(adt("A01", "L", charset="8859/1", name="Müller^Zoë", unit="Süd")).events
    assert event.unit == "Süd"


def test_utf8_is_the_default_when_msh_18_is_empty() -> None:
    (event,) = mapped(adt("A01", "U", unit="Nord-Ü")).events
    assert event.unit == "Nord-Ü"


def test_newline_segment_separators_are_accepted() -> None:
    (event,) = mapped(adt("A01", "N", separator="\n")).events
    assert event.unit == "4W"


@pytest.mark.parametrize(
    ("raw", "ack", "code", "location"),
    [
        (b"PID|1||x\r", "AR", "100", "MSH"),
        (b"MSHA^~\\&|x\r", "AR", "102", "MSH-1"),
        (b"MSH|^^^^|A|B\r", "AR", "102", "MSH-2"),
        (adt("A01", "M").replace(b"ADT^A01", b"ORU^R01"), "AR", "200", "MSH-9"),
        (adt("A01", "M").replace(b"ADT^A01", b"ADT^A99"), "AR", "201", "MSH-9"),
        (adt("A01", "M").replace(b"|2.5.1", b"|3.0"), "AR", "203", "MSH-12"),
        (adt("A01", "M").replace(b"|M|P|", b"||P|"), "AR", "101", "MSH-10"),
        (adt("A01", "M" * 181), "AR", "102", "MSH-10"),
        (adt("A01", "M", charset="ASCII").replace(b"|ASCII", b"|KLINGON"), "AR", "103", "MSH-18"),
        (adt("A01", "M", unit=""), "AE", "101", "PV1-3"),
        (adt("A01", "M", unit="U" * 65), "AE", "102", "PV1-3"),
        (adt("A02", "M", unit="ICU"), "AE", "101", "PV1-6"),
        (adt("A01", "M", visit="", patient=""), "AE", "101", "PID-3"),
        (adt("A01", "M").split(b"\rPV1")[0] + b"\r", "AE", "100", "PV1"),
        (adt("A01", "M").replace(b"||||20260302080000+0000", b"||||2026030208"), "AE", "102", "EVN-6"),
        (adt("A17", "M"), "AE", "100", "PID"),
    ],
)
def test_refusals_name_the_ack_code_and_location(raw: bytes, ack: str, code: str, location: str) -> None:
    with pytest.raises(Hl7Error) as caught:
        mapped(raw)
    assert (caught.value.ack, caught.value.code, caught.value.location) == (ack, code, location)
    assert "MRN1" not in str(caught.value) and "Doe" not in str(caught.value)


def test_latin_1_bytes_declared_utf8_are_an_application_error() -> None:
    raw = adt("A01", "M", charset="8859/1", unit="Süd").replace(b"|8859/1", b"|UNICODE UTF-8")
    with pytest.raises(Hl7Error) as caught:
        mapped(raw)
    assert caught.value.ack == "AE" and caught.value.location == "MSH-18"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("202603020800", datetime(2026, 3, 2, 8, 0, tzinfo=UTC)),
        ("20260302080015.25-0500", datetime(2026, 3, 2, 8, 0, 15, 250000, tzinfo=timezone(timedelta(hours=-5)))),
        ("20260302080015+0100", datetime(2026, 3, 2, 7, 0, 15, tzinfo=UTC)),
    ],
)
def test_timestamps(text: str, expected: datetime) -> None:
    assert parse_timestamp(text, "EVN-6", UTC) == expected


@pytest.mark.parametrize("text", ["2026", "20261302080000", "20260302080000+2500", "x"])
def test_bad_timestamps(text: str) -> None:
    with pytest.raises(Hl7Error, match="EVN-6"):
        parse_timestamp(text, "EVN-6", UTC)


def test_pre_admit_is_planned_at_the_expected_admission_time_in_pv2_8() -> None:
    raw = adt("A05", "PRE", minutes=0) + b"PV2||||||||202603041030\r"
    (event,) = mapped(raw).events
    assert event.status is EventStatus.PLANNED
    assert event.occurred_at == datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
