"""SIU^S15 call-outs: mapped to StaffCalledOut, and every malformed variant refused naming its field."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from careshift.adapters.hl7v2.callout import map_callout
from careshift.adapters.hl7v2.client import ack_code
from careshift.adapters.hl7v2.framing import Frame
from careshift.adapters.hl7v2.ingest import Hl7Ingestor
from careshift.adapters.hl7v2.message import Hl7Error, Hl7Message, codec_for, read_header
from careshift.adapters.keyed_hash import KeyedHasher
from careshift.adapters.store import MemoryStore
from careshift.domain.events import StaffCalledOut
from tests.hl7_builders import KEY, T0, adt, siu_callout

RECEIVED = T0 + timedelta(minutes=1)


def parse(raw: bytes) -> Hl7Message:
    header = read_header(raw)
    return Hl7Message(raw, header, codec_for(header))


def refusal(raw: bytes) -> Hl7Error:
    with pytest.raises(Hl7Error) as caught:
        map_callout(parse(raw), RECEIVED, UTC)
    return caught.value


def test_s15_is_a_call_out_of_the_aip_staff_on_the_ail_unit_for_the_shift_day() -> None:
    result = map_callout(parse(siu_callout("CO1", "N07", unit="4W", shift="N")), RECEIVED, UTC)
    (event,) = result.events
    assert isinstance(event, StaffCalledOut)
    assert (event.entity_id, event.unit, event.day, event.shift, event.reason) == ("N07", "4W", T0.date(), "N", "SICK")
    assert event.key == ("hl7v2:WFM@GENHOSP", "CO1") and event.recorded_at == RECEIVED
    assert result.message.origin == "SIU^S15" and result.trigger == "S15"


def test_the_day_is_the_shift_start_on_its_own_clock_not_utc() -> None:
    # 23:30 at -05:00 on 2 March is 04:30 UTC on 3 March: the shift is still the 2 March one.
    start = datetime(2026, 3, 2, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    (event,) = map_callout(parse(siu_callout("CO2", "N07", start=start)), RECEIVED, UTC).events
    assert event.day == date(2026, 3, 2)


def test_several_nurses_in_one_message_each_get_an_event_with_a_derived_source_id() -> None:
    events = map_callout(parse(siu_callout("CO3", ["N01", "N02"])), RECEIVED, UTC).events
    assert [(e.entity_id, e.source_id) for e in events] == [("N01", "CO3"), ("N02", "CO3#1")]


def test_an_empty_shift_code_calls_out_the_whole_day() -> None:
    (event,) = map_callout(parse(siu_callout("CO4", "N07", shift="")), RECEIVED, UTC).events
    assert event.shift is None


def test_start_falls_back_to_tq1_7_when_aip_6_is_empty() -> None:
    start = T0.replace(day=5, hour=7)
    (event,) = map_callout(parse(siu_callout("CO5", "N07", start=start, drop=("AIP-6",))), RECEIVED, UTC).events
    assert event.day == date(2026, 3, 5)


def test_aip_6_wins_over_tq1_7() -> None:
    raw = siu_callout("CO6", "N07", start=T0.replace(day=5)).replace(b"TQ1|1||||||20260305", b"TQ1|1||||||20260309")
    (event,) = map_callout(parse(raw), RECEIVED, UTC).events
    assert event.day == date(2026, 3, 5)


@pytest.mark.parametrize(
    ("drop", "location", "code"),
    [
        (("AIP-3",), "AIP-3", "101"),
        (("AIL",), "AIL-3", "101"),
        (("SCH",), "SCH", "100"),
        (("AIP-6", "TIMES"), "AIP-6", "101"),
    ],
)
def test_malformed_call_outs_are_refused_naming_the_field(drop: tuple[str, ...], location: str, code: str) -> None:
    error = refusal(siu_callout("BAD", "N07", drop=drop))
    assert (error.ack, error.location, error.code, error.control_id) == ("AE", location, code, "BAD")


def test_a_second_aip_without_staff_names_its_sequence() -> None:
    raw = siu_callout("BAD2", ["N01", "N02"]).replace(b"AIP|2||N02^Nurse^Pat", b"AIP|2||")
    assert refusal(raw).location == "AIP[2]-3"


def test_a_booking_that_is_not_cancelled_is_refused() -> None:
    error = refusal(siu_callout("BAD3", "N07", status="Booked"))
    assert (error.location, error.code) == ("AIP-12", "103")


def test_a_bad_start_time_names_aip_6() -> None:
    raw = siu_callout("BAD4", "N07").replace(b"RN^Registered nurse||20260302", b"RN^Registered nurse||2026XX02")
    assert refusal(raw).location == "AIP-6"


def test_other_siu_triggers_are_rejected_at_the_header() -> None:
    raw = siu_callout("BAD5", "N07").replace(b"SIU^S15", b"SIU^S12")
    with pytest.raises(Hl7Error) as caught:
        map_callout(parse(raw), RECEIVED, UTC)
    assert (caught.value.ack, caught.value.location) == ("AR", "MSH-9")


def test_ingest_answers_ae_naming_the_field_and_keeps_what_it_accepted_before() -> None:
    store = MemoryStore()
    ingestor = Hl7Ingestor(store, KeyedHasher(KEY), clock=lambda: RECEIVED)
    good, bad = siu_callout("OK1", "N07"), siu_callout("BAD6", "N08", drop=("AIP-3",))
    admit = adt("A01", "ADM1")
    outcomes = ingestor.handle_batch([Frame(raw, len(raw)) for raw in (good, bad, admit)])
    assert [o.code for o in outcomes] == ["AA", "AE", "AA"]
    ack = outcomes[1].ack
    assert ack is not None and ack_code(ack) == "AE" and b"\rERR||AIP^1^3|101^" in ack
    assert b"AIP-3.1 (personnel resource ID) is empty" in ack
    kept = {stored.event.source_id for stored in store.read()}
    assert kept == {"OK1", "ADM1"}
    (item,) = store.quarantined()
    assert (item.record.location, item.record.payload) == ("AIP-3", bad)
