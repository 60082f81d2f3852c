"""Projections as pure functions of the event log (no I/O).

The store keeps the census changes materialised for speed, but the meaning of every
projection is defined here, as a replay of the log in occurrence order. Arrival order
never matters: reversals apply to their target whenever either arrives, and each
projection sorts by (occurred_at, key) before folding.

Census semantics: ``PatientArrived`` on a unit is +1, ``PatientDeparted`` −1, and
``CensusChanged`` sets the count (a snapshot). Only ``final`` events count (an HL7 A05
pre-admission is ``planned`` demand, not census). The census of an interval is the count
after every change that occurred before the interval ends.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from careshift.domain.events import (
    CensusChanged,
    Event,
    EventReversed,
    EventStatus,
    PatientArrived,
    PatientDeparted,
    ShiftSwapped,
    StaffCalledOut,
)
from careshift.domain.time import GRID, floor_to_grid
from careshift.service.ports import CensusInterval, LeaveEntry, OpenNeed, RosterEntry, Unavailability


@dataclass(frozen=True, order=True)
class CensusChange:
    """One event's effect on a unit's census: a ``delta`` or a ``snapshot`` (exactly one is set)."""

    occurred_at: datetime
    key: tuple[str, str]
    unit: str
    delta: int = 0
    snapshot: int | None = None


def census_change(event: Event) -> CensusChange | None:
    """The census effect of ``event``, or ``None`` when it has none."""
    if event.status is not EventStatus.FINAL or not event.unit:
        return None
    at = event.occurred_at.astimezone(UTC)
    if isinstance(event, PatientArrived):
        return CensusChange(at, event.key, event.unit, delta=1)
    if isinstance(event, PatientDeparted):
        return CensusChange(at, event.key, event.unit, delta=-1)
    if isinstance(event, CensusChanged):
        return CensusChange(at, event.key, event.unit, snapshot=event.patients)
    return None


def effective(events: Iterable[Event]) -> list[Event]:
    """The events no ``EventReversed`` cancels, in occurrence order (ties by key).

    A reversal itself is never cancelled in effect: reversing a reversal is not supported,
    because no feed we read sends one (an HL7 cancel-of-cancel is sent as the original again).
    """
    materialised = list(events)
    cancelled = {event.reverses for event in materialised if isinstance(event, EventReversed)}
    kept = [event for event in materialised if isinstance(event, EventReversed) or event.key not in cancelled]
    return sorted(kept, key=lambda event: (event.occurred_at.astimezone(UTC), event.key))


def census_series(
    changes: Iterable[CensusChange], start: datetime, end: datetime, unit: str | None = None
) -> list[CensusInterval]:
    """Fold census changes into one count per unit per 15-minute interval in ``[start, end)``."""
    # A unit asked for by name always gets its series, even with no effective change (all zeros).
    by_unit: dict[str, list[CensusChange]] = {unit: []} if unit is not None else {}
    for change in changes:
        if unit is None or change.unit == unit:
            by_unit.setdefault(change.unit, []).append(change)
    first = floor_to_grid(start.astimezone(UTC))
    stop = end.astimezone(UTC)
    result: list[CensusInterval] = []
    for name in sorted(by_unit):
        ordered = sorted(by_unit[name])
        count, cursor, position = 0, first, 0
        while cursor < stop:
            boundary = cursor + GRID
            while position < len(ordered) and ordered[position].occurred_at < boundary:
                change = ordered[position]
                count = change.snapshot if change.snapshot is not None else count + change.delta
                position += 1
            result.append(CensusInterval(name, cursor, count))
            cursor = boundary
    return result


def replay_census(
    events: Iterable[Event], start: datetime, end: datetime, unit: str | None = None
) -> list[CensusInterval]:
    """The census computed from scratch from the whole log: the reference the store must equal."""
    changes = [change for event in effective(events) if (change := census_change(event)) is not None]
    return census_series(changes, start, end, unit)


def roster_after_swaps(entries: Iterable[RosterEntry], events: Iterable[Event]) -> list[RosterEntry]:
    """Apply the effective ``ShiftSwapped`` events, in occurrence order, to the imported roster."""
    current = {(entry.staff, entry.day, entry.shift): entry for entry in entries}
    for event in effective(events):
        if not isinstance(event, ShiftSwapped):
            continue
        mine = current.pop((event.entity_id, event.day, event.shift), None)
        theirs = current.pop((event.other_staff, event.other_day, event.other_shift), None)
        if mine is not None:
            moved = RosterEntry(
                mine.source_system, mine.source_id, event.other_staff, mine.day, mine.shift, mine.unit, mine.skill
            )
            current[(moved.staff, moved.day, moved.shift)] = moved
        if theirs is not None:
            moved = RosterEntry(
                theirs.source_system,
                theirs.source_id,
                event.entity_id,
                theirs.day,
                theirs.shift,
                theirs.unit,
                theirs.skill,
            )
            current[(moved.staff, moved.day, moved.shift)] = moved
    return sorted(current.values(), key=lambda entry: (entry.day, entry.unit or "", entry.shift, entry.staff))


def unavailability(
    leave: Iterable[LeaveEntry], events: Iterable[Event], first_day: date, last_day: date
) -> list[Unavailability]:
    """Leave days and effective call-outs that fall in ``[first_day, last_day]``."""
    found: set[Unavailability] = set()
    for entry in leave:
        day = max(entry.first_day, first_day)
        while day <= min(entry.last_day, last_day):
            found.add(Unavailability(entry.staff, day, None, entry.kind, (entry.source_system, entry.source_id)))
            day = date.fromordinal(day.toordinal() + 1)
    for event in effective(events):
        if isinstance(event, StaffCalledOut) and first_day <= event.day <= last_day:
            found.add(Unavailability(event.entity_id, event.day, event.shift, "call-out", event.key))
    return sorted(found, key=lambda item: (item.day, item.staff, item.shift or "", item.cause))


def open_needs(roster: Sequence[RosterEntry], unavailable: Iterable[Unavailability]) -> list[OpenNeed]:
    """Roster entries whose staff member is unavailable for that day (and shift, when given)."""
    blocked: dict[tuple[str, date], list[Unavailability]] = {}
    for item in unavailable:
        blocked.setdefault((item.staff, item.day), []).append(item)
    needs: list[OpenNeed] = []
    for entry in roster:
        for item in blocked.get((entry.staff, entry.day), []):
            if item.shift is None or item.shift == entry.shift:
                needs.append(OpenNeed(entry.unit, entry.day, entry.shift, entry.skill, entry.staff, item.cause))
                break
    return sorted(needs, key=lambda need: (need.day, need.unit or "", need.shift, need.staff))
