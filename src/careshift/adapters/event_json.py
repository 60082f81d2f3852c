"""Canonical events to and from plain JSON-able dicts: the one event codec, used by the
store's event log and (inside its versioned envelope) by the stream adapters.

The dict holds the event's type under ``kind`` and every dataclass field by name;
instants are ISO 8601 with their offset, days are ISO dates and tuple keys are lists.
Decoding is strict (a string where a number belongs is an error, not a coercion): an
unknown kind, a missing field or a value of the wrong type raises ``DataContractError``.
"""

from __future__ import annotations

import dataclasses
import typing
from datetime import date, datetime
from enum import Enum
from types import NoneType, UnionType
from typing import Any

from careshift.domain.errors import DataContractError, DomainError
from careshift.domain.events import EVENT_TYPES, Event

JSON = dict[str, Any]


def _encode(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [_encode(item) for item in value]
    return value


def event_fields(event: Event) -> JSON:
    """Every field of ``event`` by name, as JSON-able values (without its ``kind``)."""
    return {field.name: _encode(getattr(event, field.name)) for field in dataclasses.fields(event)}


def event_to_dict(event: Event) -> JSON:
    """``event`` as a JSON-able dict with its ``kind``."""
    return {"kind": event.kind, **event_fields(event)}


_HINTS: dict[str, dict[str, Any]] = {}


def _hints(cls: type[Event]) -> dict[str, Any]:
    hints = _HINTS.get(cls.__name__)
    if hints is None:
        names = {f.name for f in dataclasses.fields(cls)}
        hints = {name: hint for name, hint in typing.get_type_hints(cls).items() if name in names}
        _HINTS[cls.__name__] = hints
    return hints


def _decode(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, UnionType):
        if value is None:
            return None
        options = [a for a in typing.get_args(hint) if a is not NoneType]
        return _decode(options[0], value, where)
    if origin is tuple:
        args = typing.get_args(hint)
        if not isinstance(value, list | tuple) or len(value) != len(args):
            raise ValueError(f"{where}: expected a list of {len(args)}")
        return tuple(_decode(a, v, where) for a, v in zip(args, value, strict=True))
    if hint is datetime or hint is date:
        if not isinstance(value, str):
            raise ValueError(f"{where} must be an ISO 8601 {'instant' if hint is datetime else 'date'}")
        try:
            return hint.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{where} must be an ISO 8601 {'instant' if hint is datetime else 'date'}") from None
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{where}: expected a number, got {type(value).__name__}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{where}: expected an integer, got {type(value).__name__}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ValueError(f"{where}: expected a string, got {type(value).__name__}")
        return value
    raise ValueError(f"{where}: no decoder for {hint!r}")


def event_from_dict(data: JSON, *, source: str = "event") -> Event:
    """The event ``data`` describes; ``DataContractError`` (with ``source``) names what is wrong."""
    kind = data.get("kind")
    cls = EVENT_TYPES.get(str(kind))
    if cls is None:
        raise DataContractError(
            f"unknown event kind {kind!r}; expected one of {', '.join(sorted(EVENT_TYPES))}", source=source
        )
    values: dict[str, Any] = {}
    try:
        for name, hint in _hints(cls).items():
            if name in data:
                values[name] = _decode(hint, data[name], f"{kind}.{name}")
        return cls(**values)
    except (TypeError, ValueError, DomainError) as exc:
        raise DataContractError(f"cannot build {kind}: {exc}", source=source) from exc
