"""Must-show: malformed HL7 at the parser and at a running listener.

Every message gets exactly one acknowledgement of the right kind, the process never dies
and nothing is lost: an AA message is in the ledger, an AE/AR message is in quarantine
with its exact bytes.

Each strategy yields ``(raw, allowed ACK codes)``: damage to the header must be rejected
(AR), damage to the content is an application error (AE) unless the damage left a valid
message (AA), and a wrong character set is AE (bytes that do not decode) or AR (a set we
do not know).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from careshift.adapters.hl7v2.ack import escape
from careshift.adapters.hl7v2.client import MllpClient, ack_code, ack_control_id
from careshift.adapters.hl7v2.framing import Frame
from careshift.adapters.hl7v2.ingest import Hl7Ingestor
from careshift.adapters.hl7v2.message import read_header
from careshift.adapters.keyed_hash import KeyedHasher
from careshift.adapters.store import MemoryStore, SqlStore
from careshift.adapters.store.schema import QuarantineRow
from tests.hl7_builders import KEY, adt
from tests.integration.mllp_support import ListenerProcess
from tests.integration.store_support import sqlite_url

TRIGGERS = ["A01", "A02", "A03", "A04", "A05", "A06", "A07", "A08", "A11", "A12", "A13", "A17", "A21", "A22"]
ANY = frozenset({"AA", "AE", "AR"})
Case = tuple[bytes, frozenset[str]]

counter = iter(range(10**9))


@st.composite
def valid(draw: st.DrawFn) -> bytes:
    trigger = draw(st.sampled_from(TRIGGERS))
    control = f"F{next(counter):08d}-{draw(st.integers(0, 10**6))}"
    extra = [("MRN2", "V2", "ICU")] if trigger == "A17" else None
    return adt(trigger, control, prior="ED" if trigger == "A02" else "", extra_groups=extra)


def split_header(raw: bytes) -> tuple[bytes, bytes]:
    head, _, body = raw.partition(b"\r")
    return head, body


@st.composite
def truncated(draw: st.DrawFn) -> Case:
    raw = draw(valid())
    cut = draw(st.integers(0, len(raw) - 1))
    head, _ = split_header(raw)
    # Cut inside MSH (before MSH-12 is complete) leaves no usable header: reject. Later cuts may still be valid.
    return raw[:cut], frozenset({"AR"}) if cut < len(head) - 4 else ANY


@st.composite
def bad_delimiters(draw: st.DrawFn) -> Case:
    raw = draw(valid())
    head, body = split_header(raw)
    choice = draw(st.sampled_from(["field", "encoding", "segments"]))
    if choice == "field":
        separator = draw(st.sampled_from([b"A", b"1", b" "]))
        return b"MSH" + separator + head[4:] + b"\r" + body, frozenset({"AR"})
    if choice == "encoding":
        chars = draw(st.sampled_from([b"^^~\\", b"", b"^", b"ab&~", b"|~\\&"]))
        rest = head[4:].split(b"|", 1)[1]
        return b"MSH|" + chars + b"|" + rest + b"\r" + body, frozenset({"AR"})
    # Body segments with the wrong field separator: the content cannot be read.
    return head + b"\r" + body.replace(b"|", b"#"), frozenset({"AE"})


@st.composite
def wrong_encoding(draw: st.DrawFn) -> Case:
    trigger = draw(st.sampled_from(["A01", "A03", "A04"]))
    control = f"W{next(counter):08d}"
    kind = draw(st.sampled_from(["latin1-as-utf8", "unknown-charset", "utf16", "random-high-bytes"]))
    if kind == "latin1-as-utf8":
        raw = adt(trigger, control, charset="8859/1", unit="Süd").replace(b"|8859/1", b"|UNICODE UTF-8")
        return raw, frozenset({"AE"})
    if kind == "unknown-charset":
        return adt(trigger, control, charset="ASCII").replace(b"|ASCII", b"|EBCDIC-X"), frozenset({"AR"})
    if kind == "utf16":
        return adt(trigger, control).decode().encode("utf-16"), frozenset({"AR"})
    noise = draw(st.binary(min_size=1, max_size=40).filter(lambda b: any(byte > 0x7F for byte in b)))
    raw = adt(trigger, control, charset="ASCII")
    head, body = split_header(raw)
    return head + b"\r" + body.replace(b"PV1|1|", b"PV1|1|" + noise.replace(b"\r", b""), 1), frozenset({"AE"})


@st.composite
def huge_field(draw: st.DrawFn) -> Case:
    raw = draw(valid())
    size = draw(st.integers(10_000, 300_000))
    where = draw(st.sampled_from([b"PID|1||", b"PV1|1|I|", b"EVN|"]))
    # A huge name is harmless; a huge unit, class or timestamp must be refused as AE.
    return raw.replace(where, where + b"X" * size, 1), ANY - {"AR"}


@st.composite
def random_bytes(draw: st.DrawFn) -> Case:
    data = draw(st.binary(max_size=300))
    return data, frozenset({"AR"}) if not data.lstrip(b"\r\n\t \x00").startswith(b"MSH") else ANY


@st.composite
def mutated(draw: st.DrawFn) -> Case:
    raw = bytearray(draw(valid()))
    head_length = len(split_header(bytes(raw))[0])
    for _ in range(draw(st.integers(1, 5))):
        position = draw(st.integers(head_length + 1, len(raw) - 1))
        raw[position] = draw(st.integers(0, 255))
    return bytes(raw), ANY - {"AR"} if b"\x1c\r" not in raw else ANY


malformed = st.one_of(truncated(), bad_delimiters(), wrong_encoding(), huge_field(), random_bytes(), mutated())


def control_id_of(raw: bytes) -> str:
    try:
        return read_header(raw).control_id
    except Exception:
        return ""


def check_kept(code: str, raw: bytes, in_ledger: bool, quarantined_shas: set[str]) -> None:
    digest = hashlib.sha256(raw).hexdigest()
    if code == "AA":
        assert in_ledger
    else:
        assert digest in quarantined_shas, "a refused message was not kept in quarantine"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=malformed)
def test_parser_answers_every_malformed_message_with_the_right_ack_and_keeps_it(case: Case) -> None:
    raw, allowed = case
    store = MemoryStore()
    outcome = Hl7Ingestor(store, KeyedHasher(KEY)).handle(Frame(raw, len(raw)))
    assert outcome.ack is not None
    assert outcome.ack.startswith(b"MSH|^~\\&|")
    code = ack_code(outcome.ack)
    assert code == outcome.code and code in allowed, (code, allowed, outcome.error)
    assert (b"\rERR|" in outcome.ack) == (code != "AA")
    assert ack_control_id(outcome.ack) == escape(outcome.control_id)
    ledger = store.has_message("hl7v2:EPIC@GENHOSP", control_id_of(raw)) if code == "AA" else False
    check_kept(code, raw, ledger, {item.payload_sha256 for item in store.quarantined()})


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ListenerProcess]:
    directory: Path = tmp_path_factory.mktemp("fuzz")
    process = ListenerProcess(sqlite_url(directory), extra=["--max-message-bytes", "1000000"])
    process.start()
    yield process
    process.stop()


listener_case = malformed.filter(lambda case: b"\x1c\r" not in case[0] and not case[0].endswith(b"\x1c"))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(batch=st.lists(listener_case, min_size=1, max_size=12))
def test_listener_survives_malformed_streams_and_loses_nothing(running: ListenerProcess, batch: list[Case]) -> None:
    with MllpClient("127.0.0.1", running.port, timeout=30) as client:
        for raw, _ in batch:
            client.write(raw)
        acks = [client.receive() for _ in batch]
    codes = [ack_code(ack) for ack in acks]
    for (_, allowed), code in zip(batch, codes, strict=True):
        assert code in allowed, (code, allowed)
    assert running.alive
    store = SqlStore(running.db_url, migrate=False)
    try:
        with store.engine.connect() as connection:
            shas = set(connection.execute(select(QuarantineRow.payload_sha256)).scalars())
        for (raw, _), code in zip(batch, codes, strict=True):
            check_kept(code, raw, code == "AA" and store.has_message("hl7v2:EPIC@GENHOSP", control_id_of(raw)), shas)
    finally:
        store.close()


def test_listener_rejects_an_oversized_message_keeps_its_head_and_carries_on(running: ListenerProcess) -> None:
    huge = adt("A01", "HUGE1").replace(b"PID|1||", b"PID|1||" + b"Z" * 3_000_000, 1)
    with MllpClient("127.0.0.1", running.port, timeout=60) as client:
        ack = client.send(huge)
        assert (ack_code(ack), ack_control_id(ack)) == ("AR", "HUGE1")
        assert ack_code(client.send(adt("A01", "AFTER-HUGE"))) == "AA"
    store = SqlStore(running.db_url, migrate=False)
    try:
        (item,) = [q for q in store.quarantined(limit=1000) if q.record.record_ref == "HUGE1"]
        assert item.record.truncated and item.record.payload == huge[:1_000_000]
    finally:
        store.close()
    assert running.alive
