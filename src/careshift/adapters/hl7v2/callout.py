"""SIU^S15 appointment cancellation → ``StaffCalledOut`` (pure: no I/O, no clock).

HL7 v2 has no "call-out" message. A workforce system (or the interface engine in front
of it) that publishes rosters over HL7 books each shift as an appointment whose
personnel resource is the nurse (SIU^S12 with an AIP segment), so a sick call is the
cancellation of that booking: **SIU^S15, notification of appointment cancellation**
(HL7 v2.5 chapter 10, scheduling). We read:

| field | meaning | required |
|---|---|---|
| AIP-3.1 (personnel resource ID, XCN) | the staff id, as the roster and policy know it | yes |
| AIL-3.1 (location resource ID, PL point of care) | the unit | yes |
| AIP-6 (start date/time), else TQ1-7, else SCH-11.4 | the shift's start: its day on the unit's clock | yes |
| SCH-8.1 (appointment type) | the shift code (``D``, ``N``…); empty = every shift that day | no |
| SCH-6.1 (event reason) | the reason code (``SICK``…) | no |
| AIP-12.1 (filler status code) | ``Cancelled``/``Deleted`` or empty; anything else is refused | no |
| EVN-6, else MSH-7 | when the call-out happened | yes |

Each AIP segment is one person's call-out (several nurses off the same shift may come
in one message): the first event's source id is MSH-10, the n-th ``MSH-10#n``. The staff
id is a staff identifier, not patient data: it is stored as sent, never hashed. A PID
segment, if an engine adds one, is ignored and never read. Errors are ``AE`` naming the
segment and field to fix; nothing in the message is logged.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from careshift.adapters.hl7v2.mapping import (
    MAX_UNIT,
    MappedMessage,
    check_header,
    event_source_id,
    event_time,
    source_system_of,
)
from careshift.adapters.hl7v2.message import (
    DATA_TYPE_ERROR,
    REQUIRED_FIELD_MISSING,
    SEGMENT_SEQUENCE_ERROR,
    TABLE_VALUE_NOT_FOUND,
    Hl7Error,
    Hl7Message,
    parse_timestamp,
)
from careshift.domain.events import StaffCalledOut
from careshift.service.ports import InboundMessage

MAX_STAFF_ID = 64
MAX_CODE = 32
CANCELLED_STATUSES = frozenset({"", "CANCELLED", "CANCELED", "DELETED"})


def map_callout(message: Hl7Message, received_at: datetime, default_zone: tzinfo) -> MappedMessage:
    """Map one SIU^S15; raises ``Hl7Error`` (``AR`` for the header, ``AE`` for content)."""
    control_id, kind, trigger = check_header(message)
    source_system = source_system_of(message.header)
    ledger = InboundMessage(source_system, control_id, f"{kind}^{trigger}", received_at)

    def error(text: str, location: str, code: str = REQUIRED_FIELD_MISSING) -> Hl7Error:
        return Hl7Error(text, ack="AE", code=code, location=location, control_id=control_id)

    def bounded(value: str, location: str, limit: int, what: str) -> str:
        if len(value) > limit:
            raise error(f"{location} {what} is longer than {limit} characters", location, DATA_TYPE_ERROR)
        return value

    occurred = event_time(message, default_zone, control_id)
    schedules = message.segments("SCH")
    if not schedules:
        raise error("SIU^S15 needs an SCH segment (the cancelled booking)", "SCH", SEGMENT_SEQUENCE_ERROR)
    schedule = schedules[0]
    personnel = message.segments("AIP")
    if not personnel:
        raise error(
            "SIU^S15 names no staff member: add an AIP segment with AIP-3 (personnel resource ID)",
            "AIP",
            SEGMENT_SEQUENCE_ERROR,
        )
    unit = bounded(message.first("AIL", 3), "AIL-3", MAX_UNIT, "point of care")
    if not unit:
        raise error("AIL-3.1 (location resource, point of care) is empty; it names the unit of the shift", "AIL-3")
    shift = bounded(message.value(schedule, 8, 1), "SCH-8", MAX_CODE, "appointment type (shift code)") or None
    reason = bounded(message.value(schedule, 6, 1), "SCH-6", MAX_CODE, "event reason")
    fallback_start = message.first("TQ1", 7) or message.value(schedule, 11, 4)

    events: list[StaffCalledOut] = []
    for number, segment in enumerate(personnel, start=1):
        where = "AIP" if len(personnel) == 1 else f"AIP[{number}]"
        staff = bounded(message.value(segment, 3, 1), f"{where}-3", MAX_STAFF_ID, "personnel resource ID")
        if not staff:
            text = f"{where}-3.1 (personnel resource ID) is empty; send the staff id of who called out"
            raise error(text, f"{where}-3")
        status = message.value(segment, 12, 1)
        if status.upper() not in CANCELLED_STATUSES:
            raise error(
                f"{where}-12 filler status says the booking is not cancelled; send Cancelled or leave it empty",
                f"{where}-12",
                TABLE_VALUE_NOT_FOUND,
            )
        start_text, start_field = message.value(segment, 6, 1), f"{where}-6"
        if not start_text:
            start_text, start_field = fallback_start, "TQ1-7" if message.first("TQ1", 7) else "SCH-11.4"
        if not start_text:
            raise error(
                f"{where}-6 (start date/time of the shift) is empty and neither TQ1-7 nor SCH-11.4 gives it",
                f"{where}-6",
            )
        start = parse_timestamp(start_text, start_field, default_zone, control_id)
        events.append(
            StaffCalledOut(
                occurred_at=occurred,
                recorded_at=received_at,
                source_system=source_system,
                source_id=event_source_id(control_id, len(events)),
                entity_id=staff,
                unit=unit,
                day=start.date(),
                shift=shift,
                reason=reason,
            )
        )
    return MappedMessage(ledger, trigger, events=tuple(events))
