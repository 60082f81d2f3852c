"""Canonical events to and from plain JSON-able dicts (for the store and the stream).

The dict holds the event's type under ``kind`` and every dataclass field by name;
instants are ISO 8601 with their offset, days are ISO dates and tuple keys are lists.
Decoding is strict: an unknown kind or a missing field raises ``DataContractError``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from enum import Enum
from typing import Any

from careshift.domain.errors import DataContractError, DomainError
from careshift.domain.events import EVENT_TYPES, Event, EventStatus

JSON = dict[str, Any]


def _encode(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [_encode(item) for item in value]
    return value


def event_to_dict(event: Event) -> JSON:
    """``event`` as a JSON-able dict with its ``kind``."""
    data: JSON = {"kind": event.kind}
    for field in dataclasses.fields(event):
        data[field.name] = _encode(getattr(event, field.name))
    return data


_HINTS: dict[str, dict[str, Any]] = {}


def _hints(cls: type[Event]) -> dict[str, Any]:
    if cls.__name__ not in _HINTS:
        _HINTS[cls.__name__] = typing.get_type_hints(cls)
    return _HINTS[cls.__name__]


def _decode(hint: Any, value: object, where: str) -> object:
    if value is None:
        return None
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    concrete = [option for option in options if option is not type(None)]
    target = concrete[0] if concrete else hint
    if target is datetime:
        if not isinstance(value, str):
            raise DataContractError(f"{where} must be an ISO 8601 instant", source="event")
        return datetime.fromisoformat(value)
    if target is date:
        if not isinstance(value, str):
            raise DataContractError(f"{where} must be an ISO date", source="event")
        return date.fromisoformat(value)
    if target is EventStatus:
        return EventStatus(str(value))
    if typing.get_origin(target) is tuple:
        if not isinstance(value, list | tuple):
            raise DataContractError(f"{where} must be a list", source="event")
        return tuple(str(item) for item in value)
    return value


def event_from_dict(data: JSON) -> Event:
    """The event ``data`` describes; ``DataContractError`` names what is wrong with it."""
    kind = data.get("kind")
    cls = EVENT_TYPES.get(str(kind))
    if cls is None:
        raise DataContractError(
            f"unknown event kind {kind!r}; expected one of {', '.join(sorted(EVENT_TYPES))}", source="event"
        )
    hints = _hints(cls)
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        if field.name in data:
            values[field.name] = _decode(hints[field.name], data[field.name], f"{kind}.{field.name}")
    try:
        return cls(**values)
    except (TypeError, ValueError, DomainError) as exc:
        raise DataContractError(f"cannot build {kind}: {exc}", source="event") from exc
