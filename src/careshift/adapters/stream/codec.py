"""JSON wire format of canonical events on a stream (Kafka value, embedded log payload).

``{"kind": "PatientArrived", "v": 1, "event": {...fields...}}`` with instants as ISO 8601
strings with offset, dates as ``YYYY-MM-DD`` and key tuples as two-element lists.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from datetime import date, datetime
from enum import Enum
from types import NoneType, UnionType
from typing import Any

from careshift.domain.errors import CareshiftError, DataContractError
from careshift.domain.events import EVENT_TYPES, Event

WIRE_VERSION = 1


def encode_event(event: Event) -> bytes:
    """Serialise one event to UTF-8 JSON."""
    fields = {f.name: _plain(getattr(event, f.name)) for f in dataclasses.fields(event)}
    return json.dumps({"kind": event.kind, "v": WIRE_VERSION, "event": fields}, separators=(",", ":")).encode()


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
    cls = EVENT_TYPES.get(str(kind))
    if cls is None:
        raise DataContractError(
            f"unknown event kind {kind!r}; upgrade the consumer or fix the producer", source=position
        )
    hints = _hints(cls)
    data = body["event"]
    values: dict[str, Any] = {}
    try:
        for name, hint in hints.items():
            if name in data:
                values[name] = _typed(hint, data[name])
        return cls(**values)
    except (CareshiftError, TypeError, ValueError) as exc:
        raise DataContractError(f"{kind} does not decode: {exc}", source=position) from exc


_HINTS: dict[str, dict[str, Any]] = {}


def _hints(cls: type[Event]) -> dict[str, Any]:
    hints = _HINTS.get(cls.__name__)
    if hints is None:
        names = {f.name for f in dataclasses.fields(cls)}
        hints = {name: hint for name, hint in typing.get_type_hints(cls).items() if name in names}
        _HINTS[cls.__name__] = hints
    return hints


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _typed(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, UnionType):
        options = [a for a in typing.get_args(hint) if a is not NoneType]
        if value is None:
            return None
        return _typed(options[0], value)
    if origin is tuple:
        args = typing.get_args(hint)
        if not isinstance(value, list) or len(value) != len(args):
            raise ValueError(f"expected a list of {len(args)}")
        return tuple(_typed(a, v) for a, v in zip(args, value, strict=True))
    if hint is datetime:
        return datetime.fromisoformat(str(value))
    if hint is date:
        return date.fromisoformat(str(value))
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a number, got {type(value).__name__}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected an integer, got {type(value).__name__}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {type(value).__name__}")
        return value
    raise ValueError(f"no decoder for {hint!r}")
