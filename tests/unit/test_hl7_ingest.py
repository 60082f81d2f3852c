"""The HL7 ingest use case against the in-memory store: commits, duplicates, reversals, ACK kinds."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

import pytest

from careshift.adapters.hl7v2.client import ack_code, ack_control_id
from careshift.adapters.hl7v2.framing import Frame
from careshift.adapters.hl7v2.ingest import Hl7Ingestor, Outcome
from careshift.adapters.keyed_hash import KeyedHasher
from careshift.adapters.store import MemoryStore
from careshift.domain.errors import ServiceUnavailableError
from careshift.domain.events import Event
from careshift.service.ports import AppendResult, InboundMessage
from tests.hl7_builders import KEY, T0, adt


def send(ingestor: Hl7Ingestor, raw: bytes) -> Outcome:
    return ingestor.handle(Frame(raw, len(raw)))


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def ingestor(store: MemoryStore) -> Hl7Ingestor:
    return Hl7Ingestor(store, KeyedHasher(KEY), clock=lambda: T0 + timedelta(hours=2))


def census(store: MemoryStore, unit: str) -> list[int]:
    return [c.patients for c in store.census(T0, T0 + timedelta(hours=1), unit)]


def test_accepts_after_commit_and_answers_a_resend_without_a_second_copy(
    ingestor: Hl7Ingestor, store: MemoryStore
) -> None:
    first = send(ingestor, adt("A01", "M1"))
    assert first.code == "AA" and first.ack is not None
    assert ack_code(first.ack) == "AA" and ack_control_id(first.ack) == "M1"
    assert b"ACK^A01^ACK" in first.ack and b"MSH|^~\\&|CARESHIFT|GENHOSP|EPIC|GENHOSP|" in first.ack
    again = send(ingestor, adt("A01", "M1"))
    assert again.code == "AA" and again.duplicate
    assert store.counts().total == 1 and store.counts().messages == 1


def test_cancel_admit_reverses_it_and_census_returns(ingestor: Hl7Ingestor, store: MemoryStore) -> None:
    send(ingestor, adt("A01", "M1", minutes=0))
    assert census(store, "4W") == [1, 1, 1, 1]
    assert send(ingestor, adt("A11", "M2", minutes=20)).code == "AA"
    assert census(store, "4W") == [0, 0, 0, 0]


def test_cancel_transfer_puts_the_patient_back(ingestor: Hl7Ingestor, store: MemoryStore) -> None:
    send(ingestor, adt("A01", "M1", unit="4W"))
    send(ingestor, adt("A02", "M2", unit="ICU", prior="4W", minutes=10))
    assert (census(store, "4W")[-1], census(store, "ICU")[-1]) == (0, 1)
    send(ingestor, adt("A12", "M3", unit="ICU", minutes=40))
    assert (census(store, "4W")[-1], census(store, "ICU")[-1]) == (1, 0)


def test_cancel_discharge_puts_the_patient_back_in_census(ingestor: Hl7Ingestor, store: MemoryStore) -> None:
    send(ingestor, adt("A01", "M1"))
    send(ingestor, adt("A03", "M2", minutes=20))
    assert census(store, "4W") == [1, 0, 0, 0]
    send(ingestor, adt("A13", "M3", minutes=35))
    assert census(store, "4W") == [1, 1, 1, 1]


def test_cancel_of_something_never_received_is_quarantined_with_ae(ingestor: Hl7Ingestor, store: MemoryStore) -> None:
    outcome = send(ingestor, adt("A11", "C1"))
    assert outcome.code == "AE" and outcome.ack is not None and b"\rERR||PV1^1^19|204^" in outcome.ack
    (item,) = store.quarantined()
    assert item.record.record_ref == "C1" and item.record.payload == adt("A11", "C1")


def test_bad_content_gets_ae_with_err_and_the_raw_message_is_kept(ingestor: Hl7Ingestor, store: MemoryStore) -> None:
    raw = adt("A01", "M9", unit="")
    outcome = send(ingestor, raw)
    assert outcome.ack is not None and ack_code(outcome.ack) == "AE"
    assert b"\rERR||PV1^1^3|101^" in outcome.ack
    (item,) = store.quarantined()
    assert (item.record.source, item.record.location, item.record.code) == ("hl7v2/mllp", "PV1-3", "101")
    assert item.record.source_system == "hl7v2:EPIC@GENHOSP"
    assert item.record.payload == raw
    assert store.counts().total == 0


def test_garbage_gets_ar_and_is_quarantined(ingestor: Hl7Ingestor, store: MemoryStore) -> None:
    outcome = send(ingestor, b"\x00\xffnot hl7 at all")
    assert outcome.ack is not None and ack_code(outcome.ack) == "AR"
    assert store.quarantined()[0].record.payload == b"\x00\xffnot hl7 at all"


def test_oversized_frame_is_rejected_and_kept_truncated(ingestor: Hl7Ingestor, store: MemoryStore) -> None:
    raw = adt("A01", "BIG")
    outcome = ingestor.handle(Frame(raw[:130], size=10_000_000, truncated=True))
    assert outcome.code == "AR" and outcome.control_id == "BIG"
    (item,) = store.quarantined()
    assert item.record.truncated and item.record.payload == raw[:130]


def test_an_id_too_long_for_msa_2_is_not_echoed_clipped(ingestor: Hl7Ingestor, store: MemoryStore) -> None:
    # A clipped MSH-10 would acknowledge a message the sender never sent; echo nothing instead.
    raw = adt("A01", "X" * 250)
    outcome = ingestor.handle(Frame(raw[:400], size=10_000_000, truncated=True))
    assert outcome.code == "AR" and outcome.control_id == ""
    assert outcome.ack is not None and ack_control_id(outcome.ack) == ""
    (item,) = store.quarantined()
    assert item.record.record_ref is None


@pytest.mark.parametrize(
    ("modes", "raw_kwargs", "expected"),
    [
        (("AL", "NE"), {}, "CA"),
        (("AL", "AL"), {"unit": ""}, "CE"),
        (("", "AL"), {}, "CA"),
        (("ER", "NE"), {}, None),
        (("ER", "NE"), {"unit": ""}, "CE"),
        (("SU", "NE"), {}, "CA"),
        (("SU", "NE"), {"unit": ""}, None),
        (("NE", "NE"), {}, None),
    ],
)
def test_enhanced_mode_answers_commit_acks_as_msh_15_asks(
    ingestor: Hl7Ingestor, modes: tuple[str, str], raw_kwargs: dict[str, str], expected: str | None
) -> None:
    outcome = send(ingestor, adt("A01", "E1", ack_modes=modes, **raw_kwargs))
    if expected is None:
        assert outcome.ack is None
    else:
        assert outcome.ack is not None and ack_code(outcome.ack) == expected


def test_enhanced_reject_is_cr(ingestor: Hl7Ingestor) -> None:
    raw = adt("A01", "E2", ack_modes=("AL", "NE")).replace(b"ADT^A01", b"ADT^A99")
    outcome = send(ingestor, raw)
    assert outcome.ack is not None and ack_code(outcome.ack) == "CR"


class BrokenStore(MemoryStore):
    def append(self, events: Sequence[Event], message: InboundMessage | None = None) -> AppendResult:
        raise ServiceUnavailableError("disk full")

    def append_many(self, batch: Sequence[tuple[Sequence[Event], InboundMessage | None]]) -> list[AppendResult]:
        raise ServiceUnavailableError("disk full")


def test_store_down_answers_ar_207_so_the_sender_resends() -> None:
    ingestor = Hl7Ingestor(BrokenStore(), KeyedHasher(KEY))
    outcome = send(ingestor, adt("A01", "M1"))
    assert outcome.ack is not None and ack_code(outcome.ack) == "AR" and b"|207^" in outcome.ack


def test_logs_carry_no_patient_identifiers(ingestor: Hl7Ingestor, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    send(ingestor, adt("A01", "M1", patient="MRN777", visit="VIS888", name="Secret^Person"))
    send(ingestor, adt("A01", "M2", patient="MRN777", visit="VIS888", name="Secret^Person", unit=""))
    assert caplog.records
    for needle in ("MRN777", "VIS888", "Secret"):
        assert needle not in caplog.text


def test_ack_is_encoded_like_the_message(ingestor: Hl7Ingestor) -> None:
    outcome = send(ingestor, adt("A01", "L1", charset="8859/1", unit="Süd"))
    assert outcome.ack is not None and outcome.ack.endswith(b"|8859/1\rMSA|AA|L1\r")


class CountingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.transactions: list[int] = []

    def append_many(self, batch: Sequence[tuple[Sequence[Event], InboundMessage | None]]) -> list[AppendResult]:
        self.transactions.append(len(batch))
        return super().append_many(batch)

    def append(self, events: Sequence[Event], message: InboundMessage | None = None) -> AppendResult:
        self.transactions.append(1)
        return super().append(events, message)


def test_batch_commits_consecutive_messages_together_and_answers_in_order() -> None:
    store = CountingStore()
    ingestor = Hl7Ingestor(store, KeyedHasher(KEY))
    raws = [
        adt("A01", "B1"),
        adt("A01", "B2", visit="V2"),
        adt("A01", "B3", unit=""),
        adt("A01", "B1"),
        adt("A11", "B4", minutes=5),
        adt("A01", "B5", visit="V5"),
    ]
    outcomes = ingestor.handle_batch([Frame(raw, len(raw)) for raw in raws])
    assert [outcome.code for outcome in outcomes] == ["AA", "AA", "AE", "AA", "AA", "AA"]
    assert [outcome.control_id for outcome in outcomes] == ["B1", "B2", "B3", "B1", "B4", "B5"]
    assert outcomes[3].duplicate
    # B1, B2 and the resent B1 share one transaction; the cancellation commits alone after them.
    assert store.transactions == [3, 1, 1]
    assert census(store, "4W") == [2, 2, 2, 2]  # B1 cancelled by B4; B2 and B5 remain


class FlakyBatchStore(MemoryStore):
    def append_many(self, batch: Sequence[tuple[Sequence[Event], InboundMessage | None]]) -> list[AppendResult]:
        if len(batch) > 1:
            raise RuntimeError("value too long for type character varying(64)")
        return super().append_many(batch)

    def append(self, events: Sequence[Event], message: InboundMessage | None = None) -> AppendResult:
        if message is not None and message.message_id == "BAD":
            raise RuntimeError("value too long for type character varying(64)")
        return super().append(events, message)


def test_a_failed_group_commit_falls_back_to_one_transaction_per_message() -> None:
    store = FlakyBatchStore()
    ingestor = Hl7Ingestor(store, KeyedHasher(KEY))
    raws = [adt("A01", "OK1"), adt("A01", "BAD", visit="V2"), adt("A01", "OK2", visit="V3")]
    outcomes = ingestor.handle_batch([Frame(raw, len(raw)) for raw in raws])
    assert [outcome.code for outcome in outcomes] == ["AA", "AE", "AA"]
    assert store.counts().messages == 2
    (kept,) = store.quarantined()
    assert kept.record.record_ref == "BAD" and kept.record.code == "207"
