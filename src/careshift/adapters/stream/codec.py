"""JSON wire format of canonical events on a stream (Kafka value, embedded log payload).

``{"kind": "PatientArrived", "v": 1, "event": {...fields...}}``: the fields are those of
:mod:`careshift.adapters.event_json` (the one event codec), wrapped in a version envelope so
a consumer can refuse records of a format it does not know.
"""

from __future__ import annotations

import json

from careshift.adapters.event_json import event_fields, event_from_dict
from careshift.domain.errors import DataContractError
from careshift.domain.events import EVENT_TYPES, Event

WIRE_VERSION = 1


def encode_event(event: Event) -> bytes:
    """Serialise one event to UTF-8 JSON."""
    body = {"kind": event.kind, "v": WIRE_VERSION, "event": event_fields(event)}
    return json.dumps(body, separators=(",", ":")).encode()


def decode_event(payload: bytes, position: str) -> Event:
    """Parse one event; ``position`` (e.g. ``topic/partition/offset``) names it in errors."""
    try:
        body = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataContractError(
            "record is not UTF-8 JSON; only canonical events belong on this topic", source=position
        ) from exc
    if not isinstance(body, dict) or body.get("v") != WIRE_VERSION or not isinstance(body.get("event"), dict):
        raise DataContractError(f"record is not a version-{WIRE_VERSION} careshift event envelope", source=position)
    kind = body.get("kind")
    if str(kind) not in EVENT_TYPES:
        raise DataContractError(
            f"unknown event kind {kind!r}; upgrade the consumer or fix the producer", source=position
        )
    try:
        return event_from_dict({**body["event"], "kind": kind}, source=position)
    except DataContractError as exc:
        raise DataContractError(f"{kind} does not decode: {exc.detail}", source=position) from exc
