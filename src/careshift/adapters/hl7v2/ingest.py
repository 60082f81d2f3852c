"""Ingesting one HL7 message: parse, map, de-duplicate, resolve cancellations, commit, answer.

ADT messages map to census events (:mod:`.mapping`), SIU^S15 to call-outs (:mod:`.callout`).

``Hl7Ingestor.handle(frame)`` always returns an acknowledgement (or ``None`` when the
sender's MSH-15 asks for none) and never raises:

- AA/CA only after the events *and* the MSH-10 ledger entry are committed, so a resent
  message (same MSH-10) is answered AA again without a second copy;
- AE/CE or AR/CR with an ERR segment for input we cannot accept, after the raw message is
  committed to quarantine with the reason (nothing is dropped);
- AR/CR with ERR 207 when the store itself is down: nothing was kept, the sender must resend.

Logs carry the control id, trigger, ACK code and error location; never field values.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Protocol

from careshift.adapters.hl7v2.ack import build_ack, should_answer
from careshift.adapters.hl7v2.callout import map_callout
from careshift.adapters.hl7v2.framing import Frame
from careshift.adapters.hl7v2.mapping import MappedMessage, map_adt, source_system_of
from careshift.adapters.hl7v2.message import (
    APPLICATION_INTERNAL_ERROR,
    DATA_TYPE_ERROR,
    Header,
    Hl7Error,
    Hl7Message,
    codec_for,
    read_header,
)
from careshift.adapters.keyed_hash import KeyedHasher
from careshift.domain.errors import CareshiftError
from careshift.domain.events import Event, EventReversed
from careshift.service.ports import AppendResult, EventLog, Quarantine, QuarantineRecord

log = logging.getLogger("careshift.hl7v2")
SOURCE = "hl7v2/mllp"


class IngestStore(EventLog, Quarantine, Protocol):
    """The part of the store the HL7 ingest needs."""


@dataclass(frozen=True)
class _Ready:
    """A message that parsed and mapped, waiting for its commit."""

    frame: Frame
    header: Header
    codec: str
    mapped: MappedMessage
    received: datetime


@dataclass(frozen=True)
class Outcome:
    """What happened to one message: the ACK code (original mode) and the bytes to send back."""

    code: str
    ack: bytes | None
    control_id: str
    error: Hl7Error | None = None
    duplicate: bool = False


class Hl7Ingestor:
    """Turns MLLP frames into committed events or quarantine rows, and into acknowledgements."""

    def __init__(
        self,
        store: IngestStore,
        hasher: KeyedHasher,
        *,
        default_zone: tzinfo = UTC,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        source: str = SOURCE,
    ) -> None:
        self.store = store
        self.hasher = hasher
        self.default_zone = default_zone
        self.clock = clock
        self.source = source

    def handle(self, frame: Frame) -> Outcome:
        """Process one frame completely (commit first, then answer). Never raises."""
        return self.handle_batch([frame])[0]

    def handle_batch(self, frames: Sequence[Frame]) -> list[Outcome]:
        """Process frames that arrived together; one outcome per frame, in order. Never raises.

        Group commit: consecutive acceptable messages share one transaction (one fsync), so a
        sender that pipelines pays for durability once per batch, not once per message. A
        cancellation is committed on its own, after everything before it, because it must
        see the events it reverses. No outcome is returned before its commit.
        """
        results: dict[int, Outcome] = {}
        pending: list[tuple[int, _Ready]] = []
        for index, frame in enumerate(frames):
            prepared = self._prepare(frame)
            if isinstance(prepared, Outcome):
                results[index] = prepared
            elif prepared.mapped.cancellation is not None:
                self._flush(pending, results)
                results[index] = self._guarded(prepared)
            else:
                pending.append((index, prepared))
        self._flush(pending, results)
        return [results[index] for index in range(len(frames))]

    def _prepare(self, frame: Frame) -> _Ready | Outcome:
        received = self.clock()
        header: Header | None = None
        codec = "utf-8"
        try:
            header = read_header(frame.payload)
            if frame.truncated:
                raise Hl7Error(
                    f"the message has {frame.size} bytes, over the listener's limit; split it or raise "
                    "--max-message-bytes",
                    ack="AR",
                    code=DATA_TYPE_ERROR,
                    location="MSH",
                    control_id=header.reply_id,
                )
            codec = codec_for(header)
            message = Hl7Message(frame.payload, header, codec)
            if header.component(9, 1) == "SIU":
                mapped = map_callout(message, received, self.default_zone)
            else:
                mapped = map_adt(message, self.hasher, received, self.default_zone)
            return _Ready(frame, header, codec, mapped, received)
        except Hl7Error as error:
            return self._refuse(frame, header, codec, error, received)
        except Exception as exc:  # a bug must not lose the message or kill the listener
            return self._internal(frame, header, codec, exc, received)

    def _internal(self, frame: Frame, header: Header | None, codec: str, exc: Exception, received: datetime) -> Outcome:
        # No exc_info: an exception's message may quote field values (PHI). Type and place only.
        frames = traceback.extract_tb(exc.__traceback__)
        where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
        log.error("hl7 ingest failed unexpectedly: %s at %s", type(exc).__name__, where)
        failure = Hl7Error(
            f"internal error ({type(exc).__name__}); the message is quarantined for review",
            ack="AE",
            code=APPLICATION_INTERNAL_ERROR,
            location="MSH",
            control_id=header.reply_id if header else "",
        )
        return self._refuse(frame, header, codec, failure, received)

    def _guarded(self, ready: _Ready) -> Outcome:
        try:
            return self._commit_one(ready)
        except Hl7Error as error:
            return self._refuse(ready.frame, ready.header, ready.codec, error, ready.received)
        except CareshiftError as exc:
            return self._unavailable(ready.header, ready.codec, exc)
        except Exception as exc:
            return self._internal(ready.frame, ready.header, ready.codec, exc, ready.received)

    def _commit_one(self, ready: _Ready) -> Outcome:
        mapped = ready.mapped
        ledger = mapped.message
        # Checked first so a resent cancellation is not refused for finding its target already reversed.
        if self.store.has_message(ledger.source_system, ledger.message_id):
            log.info("hl7 duplicate control_id=%s trigger=%s", ledger.message_id, mapped.trigger)
            return self._answer(ready.header, ready.codec, "AA", ledger.message_id, duplicate=True)
        events = self._reversals(mapped) if mapped.cancellation is not None else mapped.events
        result = self.store.append(events, ledger)
        return self._accepted(ready, result)

    def _accepted(self, ready: _Ready, result: AppendResult) -> Outcome:
        ledger = ready.mapped.message
        log.info(
            "hl7 accepted control_id=%s trigger=%s events=%d duplicate=%s",
            ledger.message_id,
            ready.mapped.trigger,
            len(result.appended),
            result.message_duplicate,
        )
        return self._answer(ready.header, ready.codec, "AA", ledger.message_id, duplicate=result.message_duplicate)

    def _flush(self, pending: list[tuple[int, _Ready]], results: dict[int, Outcome]) -> None:
        if not pending:
            return
        batch = list(pending)
        pending.clear()
        try:
            appended = self.store.append_many([(ready.mapped.events, ready.mapped.message) for _, ready in batch])
        except CareshiftError as exc:
            for index, ready in batch:
                results[index] = self._unavailable(ready.header, ready.codec, exc)
            return
        except Exception:
            # One bad message must not block the others: retry them one transaction each.
            log.warning("hl7 group commit of %d messages failed; committing one by one", len(batch))
            for index, ready in batch:
                results[index] = self._guarded(ready)
            return
        for (index, ready), result in zip(batch, appended, strict=True):
            results[index] = self._accepted(ready, result)

    def _reversals(self, mapped: MappedMessage) -> tuple[Event, ...]:
        cancellation = mapped.cancellation
        assert cancellation is not None
        ledger = mapped.message
        targets = self.store.latest_from_message(
            ledger.source_system, cancellation.entity_id, cancellation.origins, cancellation.occurred_at
        )
        if not targets:
            raise Hl7Error(
                f"ADT^{mapped.trigger} cancels a {'/'.join(cancellation.origins)} we have not received for this "
                "visit; send the original first, then resend the cancellation",
                ack="AE",
                code="204",
                location="PV1-19",
                control_id=ledger.message_id,
            )
        return tuple(
            EventReversed(
                occurred_at=cancellation.occurred_at,
                recorded_at=ledger.received_at,
                source_system=ledger.source_system,
                source_id=mapped.source_id(index),
                entity_id=cancellation.entity_id,
                unit=target.unit,
                reverses=target.key,
            )
            for index, target in enumerate(targets)
        )

    def _refuse(self, frame: Frame, header: Header | None, codec: str, error: Hl7Error, received: datetime) -> Outcome:
        record = QuarantineRecord(
            source=self.source,
            reason=error.detail,
            received_at=received,
            location=error.location or "",
            code=error.code,
            # Which sender, for the operator's counts; None when even MSH-3/4 cannot be read.
            source_system=_sender(header),
            record_ref=error.control_id or None,
            payload=frame.payload,
            truncated=frame.truncated,
        )
        try:
            self.store.quarantine(record)
        except Exception as exc:  # the store is down: say so, the sender keeps the message
            return self._unavailable(header, codec, exc)
        log.warning(
            "hl7 refused control_id=%s ack=%s code=%s location=%s",
            error.control_id,
            error.ack,
            error.code,
            error.location,
        )
        return self._answer(header, codec, error.ack, error.control_id, error=error)

    def _unavailable(self, header: Header | None, codec: str, exc: Exception) -> Outcome:
        log.error("hl7 store unavailable: %s", type(exc).__name__)
        control_id = header.reply_id if header else ""
        error = Hl7Error(
            "the event store is unavailable; nothing was kept, resend later",
            ack="AR",
            code=APPLICATION_INTERNAL_ERROR,
            location="",
            control_id=control_id,
        )
        return self._answer(header, codec, "AR", control_id, error=error)

    def _answer(
        self,
        header: Header | None,
        codec: str,
        code: str,
        control_id: str,
        *,
        duplicate: bool = False,
        error: Hl7Error | None = None,
    ) -> Outcome:
        if not should_answer(header, code):
            return Outcome(code, None, control_id, error, duplicate)
        ack = build_ack(
            header,
            code,
            control_id=control_id,
            ack_id=uuid.uuid4().hex[:20],
            now=self.clock(),
            error_code=error.code if error else "",
            text=error.detail if error else "",
            location=(error.location or "") if error else "",
        )
        return Outcome(code, ack.encode(codec, errors="replace"), control_id, error, duplicate)


def _sender(header: Header | None) -> str | None:
    if header is None:
        return None
    try:
        return source_system_of(header)
    except Hl7Error:
        return None
