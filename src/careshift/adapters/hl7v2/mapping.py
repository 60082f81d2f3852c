"""ADT messages to canonical events (pure: no I/O, no clock).

| trigger | events (entity = keyed hash of PV1-19 visit number, else PID-3) |
|---|---|
| A01 admit, A04 register, A22 return from leave | ``PatientArrived`` at PV1-3 |
| A05 pre-admit | ``PatientArrived`` with status ``planned`` (demand signal, not census) at PV2-8 |
| A02 transfer | ``PatientDeparted`` from PV1-6, ``PatientArrived`` at PV1-3 |
| A03 discharge, A21 leave of absence | ``PatientDeparted`` from PV1-3 |
| A06, A07 class change, A08 update | a move (as A02) when PV1-6 names another unit; else nothing |
| A17 swap | each patient leaves the other's location and arrives at its own PV1-3 |
| A11, A12, A13 cancel admit/transfer/discharge | a ``Cancellation`` the ingest resolves against the log |

SIU^S15 (a shift booking cancelled: a call-out) maps to ``StaffCalledOut`` in
:mod:`careshift.adapters.hl7v2.callout`.

Every event is ordered by EVN-6 (when it happened), falling back to MSH-7. The first event
of a message has source id MSH-10, the n-th ``MSH-10#n``; the message ledger holds MSH-10.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from careshift.adapters.hl7v2.message import (
    DATA_TYPE_ERROR,
    REQUIRED_FIELD_MISSING,
    SEGMENT_SEQUENCE_ERROR,
    UNSUPPORTED_EVENT_CODE,
    UNSUPPORTED_MESSAGE_TYPE,
    UNSUPPORTED_PROCESSING_ID,
    UNSUPPORTED_VERSION_ID,
    Header,
    Hl7Error,
    Hl7Message,
    parse_timestamp,
)
from careshift.adapters.keyed_hash import KeyedHasher
from careshift.domain.events import Event, EventStatus, PatientArrived, PatientDeparted
from careshift.service.ports import InboundMessage

SUPPORTED_TRIGGERS = frozenset(
    {"A01", "A02", "A03", "A04", "A05", "A06", "A07", "A08", "A11", "A12", "A13", "A17", "A21", "A22"}
)
CANCELS: dict[str, tuple[str, ...]] = {"A11": ("ADT^A01", "ADT^A04"), "A12": ("ADT^A02",), "A13": ("ADT^A03",)}
NEEDS_UNIT = frozenset({"A01", "A02", "A03", "A04", "A17", "A21", "A22"})
MAX_CONTROL_ID = 180  # leaves room for the '#n' suffix within the 200-character key column
MAX_UNIT = 64
MAX_CLASS = 16


@dataclass(frozen=True)
class Cancellation:
    """An A11/A12/A13: reverse the effective events of ``entity_id``'s latest message of ``origins``."""

    entity_id: str
    origins: tuple[str, ...]
    occurred_at: datetime


@dataclass(frozen=True)
class MappedMessage:
    """What one ADT message means: the ledger entry, its events, or the cancellation it asks for."""

    message: InboundMessage
    trigger: str
    events: tuple[Event, ...] = ()
    cancellation: Cancellation | None = None

    def source_id(self, index: int) -> str:
        """The source id of the ``index``-th event derived from this message."""
        return event_source_id(self.message.message_id, index)


def event_source_id(control_id: str, index: int) -> str:
    """MSH-10 for a message's first event, ``MSH-10#n`` for the n-th after it."""
    return control_id if index == 0 else f"{control_id}#{index}"


@dataclass(frozen=True)
class _Draft:
    """An event to build once the message's shared fields are known; ``at`` overrides EVN-6."""

    kind: type[Event]
    entity: str
    unit: str | None
    fields: dict[str, Any]
    at: datetime | None = None


def source_system_of(header: Header) -> str:
    """``hl7v2:<MSH-3>@<MSH-4>``: control ids are unique per sending application and facility."""
    app = header.component(3, 1)
    facility = header.component(4, 1)
    system = f"hl7v2:{app or 'unknown'}@{facility or 'unknown'}"
    if len(system) > 200:
        raise Hl7Error(
            "MSH-3/MSH-4 are too long to name a sending system; keep them under 90 characters",
            ack="AR",
            code=DATA_TYPE_ERROR,
            location="MSH-3",
        )
    return system


MESSAGE_TYPES: dict[str, frozenset[str]] = {"ADT": SUPPORTED_TRIGGERS, "SIU": frozenset({"S15"})}
"""What the listener accepts: ADT for census, SIU^S15 for call-outs (see ``callout``)."""

ACCEPTED = "ADT A01-A08, A11-A13, A17, A21, A22 and SIU S15 (call-out)"


def check_header(message: Hl7Message) -> tuple[str, str, str]:
    """(control id, message type, trigger) after the header checks that decide between ``AR`` and going on."""
    header = message.header
    control_id = header.control_id
    if not control_id:
        raise Hl7Error(
            "MSH-10 message control id is empty; every message needs a unique one",
            ack="AR",
            code=REQUIRED_FIELD_MISSING,
            location="MSH-10",
        )
    if len(control_id) > MAX_CONTROL_ID or "\ufffd" in control_id:
        raise Hl7Error(
            f"MSH-10 is longer than {MAX_CONTROL_ID} characters or not ASCII",
            ack="AR",
            code=DATA_TYPE_ERROR,
            location="MSH-10",
        )
    kind = header.component(9, 1)
    if kind not in MESSAGE_TYPES:
        raise Hl7Error(
            f"MSH-9 is not an ADT or SIU message; this listener accepts {ACCEPTED}",
            ack="AR",
            code=UNSUPPORTED_MESSAGE_TYPE,
            location="MSH-9",
            control_id=control_id,
        )
    trigger = header.component(9, 2) or message.first("EVN", 1)
    if trigger not in MESSAGE_TYPES[kind]:
        raise Hl7Error(
            f"MSH-9 trigger event is not supported; this listener accepts {ACCEPTED}",
            ack="AR",
            code=UNSUPPORTED_EVENT_CODE,
            location="MSH-9",
            control_id=control_id,
        )
    if header.component(11, 1) not in ("", "P", "T", "D"):
        raise Hl7Error(
            "MSH-11 processing id must be P, T or D",
            ack="AR",
            code=UNSUPPORTED_PROCESSING_ID,
            location="MSH-11",
            control_id=control_id,
        )
    version = header.component(12, 1)
    if not (version.startswith("2.") and version[2:3].isdigit()):
        raise Hl7Error(
            "MSH-12 version is not HL7 v2.x",
            ack="AR",
            code=UNSUPPORTED_VERSION_ID,
            location="MSH-12",
            control_id=control_id,
        )
    return control_id, kind, trigger


def event_time(message: Hl7Message, default_zone: tzinfo, control_id: str) -> datetime:
    """When the event happened: EVN-6, falling back to MSH-7; ``AE`` naming EVN-6 without either."""
    evn_time = message.first("EVN", 6)
    if evn_time:
        return parse_timestamp(evn_time, "EVN-6", default_zone, control_id)
    if message.header.get(7):
        return parse_timestamp(message.header.component(7, 1), "MSH-7", default_zone, control_id)
    raise Hl7Error(
        "neither EVN-6 nor MSH-7 gives the event time; send EVN-6 (event occurred)",
        ack="AE",
        code=REQUIRED_FIELD_MISSING,
        location="EVN-6",
        control_id=control_id,
    )


def map_adt(message: Hl7Message, hasher: KeyedHasher, received_at: datetime, default_zone: tzinfo) -> MappedMessage:
    """Map one parsed ADT message; raises ``Hl7Error`` (``AR`` or ``AE``) for what it cannot accept."""
    control_id, kind, trigger = check_header(message)
    if kind != "ADT":
        raise Hl7Error("MSH-9 is not an ADT message", ack="AR", code=UNSUPPORTED_MESSAGE_TYPE, location="MSH-9")
    source_system = source_system_of(message.header)
    ledger = InboundMessage(source_system, control_id, f"ADT^{trigger}", received_at)

    def error(text: str, location: str, code: str = REQUIRED_FIELD_MISSING) -> Hl7Error:
        return Hl7Error(text, ack="AE", code=code, location=location, control_id=control_id)

    occurred = event_time(message, default_zone, control_id)

    pids, pv1s = message.segments("PID"), message.segments("PV1")
    wanted = 2 if trigger == "A17" else 1
    if len(pids) < wanted or len(pv1s) < wanted:
        raise error(
            f"ADT^{trigger} needs {wanted} PID and PV1 segment(s)",
            "PV1" if len(pids) >= wanted else "PID",
            SEGMENT_SEQUENCE_ERROR,
        )

    def entity(index: int) -> str:
        visit = message.value(pv1s[index], 19, 1)
        if visit:
            return hasher.token("enc", visit, message.value(pv1s[index], 19, 4))
        patient = message.value(pids[index], 3, 1)
        if patient:
            return hasher.token("pat", patient, message.value(pids[index], 3, 4))
        raise error("neither PV1-19 (visit number) nor PID-3 (patient id) is given", "PID-3")

    def location(index: int, field: int, required: bool) -> str | None:
        unit = message.value(pv1s[index], field, 1)
        where = f"PV1-{field}"
        if len(unit) > MAX_UNIT:
            raise error(f"{where}.1 point of care is longer than {MAX_UNIT} characters", where, DATA_TYPE_ERROR)
        if not unit and required:
            raise error(f"{where}.1 point of care (the unit) is empty; ADT^{trigger} needs it", where)
        return unit or None

    def patient_class(index: int) -> str:
        value = message.value(pv1s[index], 2, 1)
        if len(value) > MAX_CLASS:
            raise error(f"PV1-2 patient class is longer than {MAX_CLASS} characters", "PV1-2", DATA_TYPE_ERROR)
        return value

    if trigger in CANCELS:
        cancellation = Cancellation(entity(0), CANCELS[trigger], occurred)
        return MappedMessage(ledger, trigger, cancellation=cancellation)

    drafts: list[_Draft] = []
    unit = location(0, 3, trigger in NEEDS_UNIT)
    if trigger in ("A01", "A04", "A22"):
        drafts.append(_Draft(PatientArrived, entity(0), unit, {"patient_class": patient_class(0)}))
    elif trigger == "A05":
        expected = message.first("PV2", 8)
        at = parse_timestamp(expected, "PV2-8", default_zone, control_id) if expected else None
        fields = {"patient_class": patient_class(0), "status": EventStatus.PLANNED}
        drafts.append(_Draft(PatientArrived, entity(0), unit, fields, at))
    elif trigger in ("A03", "A21"):
        reason = "discharge" if trigger == "A03" else "leave of absence"
        drafts.append(_Draft(PatientDeparted, entity(0), unit, {"reason": reason}))
    elif trigger in ("A02", "A06", "A07", "A08"):
        prior = location(0, 6, trigger == "A02")
        if trigger == "A02" or (prior and unit and prior != unit):
            who = entity(0)
            reason = "transfer" if trigger == "A02" else f"{trigger} move"
            drafts.append(_Draft(PatientDeparted, who, prior, {"reason": reason}))
            drafts.append(_Draft(PatientArrived, who, unit, {"patient_class": patient_class(0)}))
    elif trigger == "A17":
        first, second = entity(0), entity(1)
        here, there = unit, location(1, 3, True)
        drafts += [
            _Draft(PatientDeparted, first, there, {"reason": "swap"}),
            _Draft(PatientArrived, first, here, {"patient_class": patient_class(0)}),
            _Draft(PatientDeparted, second, here, {"reason": "swap"}),
            _Draft(PatientArrived, second, there, {"patient_class": patient_class(1)}),
        ]
    events = tuple(
        draft.kind(
            occurred_at=draft.at or occurred,
            recorded_at=received_at,
            source_system=source_system,
            source_id=event_source_id(control_id, index),
            entity_id=draft.entity,
            unit=draft.unit,
            **draft.fields,
        )
        for index, draft in enumerate(drafts)
    )
    return MappedMessage(ledger, trigger, events=events)
