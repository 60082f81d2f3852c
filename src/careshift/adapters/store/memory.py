"""An in-memory store with the same behaviour as ``SqlStore``, for fast unit tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TypeVar

from careshift.domain.events import Event, EventReversed, ShiftSwapped, StaffCalledOut
from careshift.service import projections
from careshift.service.ports import (
    AppendResult,
    CensusInterval,
    EventCounts,
    InboundMessage,
    LeaveEntry,
    OpenNeed,
    QuarantinedRecord,
    QuarantineRecord,
    RosterEntry,
    StoredEvent,
    Unavailability,
)


@dataclass
class _Entry:
    event: Event
    message: InboundMessage | None
    reversed_by: tuple[str, str] | None = None


class MemoryStore:
    """Event log, quarantine and projections held in dicts. Not thread-safe; tests only."""

    def __init__(self) -> None:
        self._events: dict[tuple[str, str], _Entry] = {}
        self._messages: dict[tuple[str, str], InboundMessage] = {}
        self._quarantine: dict[tuple[str, str, str], QuarantinedRecord] = {}
        self._roster: dict[tuple[str, str], RosterEntry] = {}
        self._leave: dict[tuple[str, str], LeaveEntry] = {}
        self._reversals: dict[tuple[str, str], tuple[str, str]] = {}  # target key -> first reversal key

    def close(self) -> None:
        return None

    def append_many(self, batch: Sequence[tuple[Sequence[Event], InboundMessage | None]]) -> list[AppendResult]:
        return [self._append(events, message) for events, message in batch]

    def append(self, events: Sequence[Event], message: InboundMessage | None = None) -> AppendResult:
        return self._append(events, message)

    def _append(self, events: Sequence[Event], message: InboundMessage | None) -> AppendResult:
        if message is not None:
            ledger_key = (message.source_system, message.message_id)
            if ledger_key in self._messages:
                return AppendResult((), tuple(event.key for event in events), message_duplicate=True)
            self._messages[ledger_key] = message
        appended: list[tuple[str, str]] = []
        duplicates: list[tuple[str, str]] = []
        for event in events:
            if event.key in self._events:
                duplicates.append(event.key)
                continue
            entry = _Entry(event, message)
            self._events[event.key] = entry
            appended.append(event.key)
            if isinstance(event, EventReversed):
                self._reversals.setdefault(event.reverses, event.key)
                target = self._events.get(event.reverses)
                if target is not None and target.reversed_by is None:
                    target.reversed_by = event.key
            else:
                entry.reversed_by = self._reversals.get(event.key)
        return AppendResult(tuple(appended), tuple(duplicates))

    def has_message(self, source_system: str, message_id: str) -> bool:
        return (source_system, message_id) in self._messages

    def read(
        self, *, since: datetime | None = None, until: datetime | None = None, unit: str | None = None
    ) -> list[StoredEvent]:
        chosen = [
            entry
            for entry in self._events.values()
            if (since is None or entry.event.occurred_at >= since)
            and (until is None or entry.event.occurred_at < until)
            and (unit is None or entry.event.unit == unit)
        ]
        chosen.sort(key=lambda entry: (entry.event.occurred_at.astimezone(UTC), entry.event.key))
        return [
            StoredEvent(
                entry.event,
                entry.reversed_by,
                entry.message.message_id if entry.message else None,
                entry.message.origin if entry.message else None,
            )
            for entry in chosen
        ]

    def appended_after(self, position: int, limit: int = 500) -> list[tuple[int, Event]]:
        """Events in arrival order after ``position`` (1 for the first event), like ``SqlStore``."""
        entries = list(self._events.values())[position : position + limit]
        return [(position + index, entry.event) for index, entry in enumerate(entries, start=1)]

    def log_end(self) -> int:
        return len(self._events)

    def latest_from_message(
        self, source_system: str, entity_id: str, origins: Iterable[str], before: datetime
    ) -> list[Event]:
        wanted = set(origins)
        candidates = [
            (position, entry)
            for position, entry in enumerate(self._events.values())
            if entry.message is not None
            and entry.message.origin in wanted
            and entry.event.source_system == source_system
            and entry.event.entity_id == entity_id
            and entry.reversed_by is None
            and not isinstance(entry.event, EventReversed)
            and entry.event.occurred_at <= before
        ]
        if not candidates:
            return []
        # Ties on occurrence time go to the later arrival, as in SqlStore (highest row id).
        _, latest = max(candidates, key=lambda item: (item[1].event.occurred_at.astimezone(UTC), item[0]))
        return [entry.event for _, entry in candidates if entry.message == latest.message]

    def counts(self) -> EventCounts:
        entries = list(self._events.values())
        records = list(self._quarantine.values())
        return EventCounts(
            total=len(entries),
            reversed=sum(1 for entry in entries if entry.reversed_by is not None),
            messages=len(self._messages),
            by_kind=dict(Counter(entry.event.kind for entry in entries)),
            by_source=dict(Counter(entry.event.source_system for entry in entries)),
            by_unit=dict(Counter(entry.event.unit or "(none)" for entry in entries)),
            quarantined=len(records),
            quarantine_by_source=dict(Counter(item.record.source for item in records)),
            quarantine_by_code=dict(Counter(item.record.code for item in records)),
        )

    def quarantine(self, record: QuarantineRecord) -> int:
        digest = record.digest
        key = (record.source, record.location, digest)
        existing = self._quarantine.get(key)
        if existing is None:
            stored = QuarantinedRecord(len(self._quarantine) + 1, record, digest, 1)
        else:
            stored = QuarantinedRecord(existing.id, existing.record, digest, existing.attempts + 1)
        self._quarantine[key] = stored
        return stored.id

    def quarantine_many(self, records: Iterable[QuarantineRecord]) -> int:
        return sum(1 for record in records if self.quarantine(record))

    def quarantined(self, source: str | None = None, limit: int = 100) -> list[QuarantinedRecord]:
        chosen = [item for item in self._quarantine.values() if source is None or item.record.source == source]
        return sorted(chosen, key=lambda item: -item.id)[:limit]

    def census(self, start: datetime, end: datetime, unit: str | None = None) -> list[CensusInterval]:
        return projections.replay_census((entry.event for entry in self._events.values()), start, end, unit)

    def put_roster(self, entries: Iterable[RosterEntry]) -> int:
        return _upsert(self._roster, entries)

    def put_leave(self, entries: Iterable[LeaveEntry]) -> int:
        return _upsert(self._leave, entries)

    def _effective(self, kind: type[Event]) -> list[Event]:
        return [
            entry.event
            for entry in self._events.values()
            if isinstance(entry.event, kind) and entry.reversed_by is None
        ]

    def roster(self, first_day: date, last_day: date, unit: str | None = None) -> list[RosterEntry]:
        entries = [entry for entry in self._roster.values() if first_day <= entry.day <= last_day]
        after = projections.roster_after_swaps(entries, self._effective(ShiftSwapped))
        return [entry for entry in after if unit is None or entry.unit == unit]

    def availability(self, first_day: date, last_day: date) -> list[Unavailability]:
        return projections.unavailability(self._leave.values(), self._effective(StaffCalledOut), first_day, last_day)

    def open_needs(self, first_day: date, last_day: date, unit: str | None = None) -> list[OpenNeed]:
        return projections.open_needs(self.roster(first_day, last_day, unit), self.availability(first_day, last_day))

    def rebuild_projections(self) -> None:
        return None


Keyed = TypeVar("Keyed", RosterEntry, LeaveEntry)


def _upsert(table: dict[tuple[str, str], Keyed], entries: Iterable[Keyed]) -> int:
    """Store ``entries`` by (source_system, source_id); returns how many were new or changed."""
    changed = 0
    for entry in entries:
        key = (entry.source_system, entry.source_id)
        if table.get(key) != entry:
            table[key] = entry
            changed += 1
    return changed
