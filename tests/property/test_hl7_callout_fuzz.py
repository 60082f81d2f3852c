"""SIU^S15 call-outs with arbitrary field content: either a call-out with exactly those values,
or AE naming one of the fields we read; the ingest never raises and keeps every message
(in the log when accepted, byte for byte in quarantine when not)."""

from __future__ import annotations

from datetime import UTC, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from careshift.adapters.hl7v2.callout import map_callout
from careshift.adapters.hl7v2.framing import Frame
from careshift.adapters.hl7v2.ingest import Hl7Ingestor
from careshift.adapters.hl7v2.message import Hl7Error, Hl7Message, codec_for, read_header
from careshift.adapters.keyed_hash import KeyedHasher
from careshift.adapters.store import MemoryStore
from tests.hl7_builders import KEY, T0, siu_callout

READ_FIELDS = {"AIP-3", "AIL-3", "AIP-6", "TQ1-7", "SCH-11.4", "SCH-6", "SCH-8", "AIP-12", "SCH", "AIP"}
# Text without HL7 delimiters, control characters or line breaks (the framing fuzzer's business).
text = st.text(st.characters(blacklist_characters="|^~\\&", blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=80)
stamp = st.one_of(text, st.datetimes().map(lambda d: d.strftime("%Y%m%d%H%M")))


def replace_field(raw: bytes, segment: str, field: int, value: str) -> bytes:
    lines = raw.decode().split("\r")
    for index, line in enumerate(lines):
        if line.startswith(segment + "|"):
            parts = line.split("|")
            parts += [""] * (field + 1 - len(parts))
            parts[field] = value
            lines[index] = "|".join(parts)
            break
    return "\r".join(lines).encode()


@settings(max_examples=300, deadline=None)
@given(staff=text, unit=text, start=stamp, shift=text, reason=text)
def test_either_the_call_out_as_sent_or_ae_naming_a_field(
    staff: str, unit: str, start: str, shift: str, reason: str
) -> None:
    raw = siu_callout("FZ", "N1", drop=("TIMES",))
    raw = replace_field(raw, "AIP", 3, staff)
    raw = replace_field(raw, "AIL", 3, unit)
    raw = replace_field(raw, "AIP", 6, start)
    raw = replace_field(raw, "SCH", 8, shift)
    raw = replace_field(raw, "SCH", 6, reason)
    header = read_header(raw)
    try:
        mapped = map_callout(Hl7Message(raw, header, codec_for(header)), T0, UTC)
    except Hl7Error as error:
        assert error.ack == "AE" and error.location in READ_FIELDS and error.control_id == "FZ"
        outcome_expected = "AE"
    else:
        (event,) = mapped.events
        assert (event.entity_id, event.unit) == (staff, unit)
        assert (event.shift or "", event.reason) == (shift, reason)
        outcome_expected = "AA"
    store = MemoryStore()
    outcome = Hl7Ingestor(store, KeyedHasher(KEY), clock=lambda: T0 + timedelta(minutes=1)).handle(Frame(raw, len(raw)))
    assert outcome.code == outcome_expected
    if outcome.code == "AA":
        assert [s.event.source_id for s in store.read()] == ["FZ"]
    else:
        assert [item.record.payload for item in store.quarantined()] == [raw] and store.read() == []
