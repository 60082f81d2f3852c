"""From ADT events to what the census model needs: arrivals per interval, stays, who is in.

Patients are keyed hashes (``entity_id``), never raw identifiers. A stay is a
``PatientArrived`` on a unit followed by the same entity's ``PatientDeparted`` from it;
events that were reversed (``EventReversed``, A11/A13) are dropped first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from careshift.domain.errors import ForecastInputError
from careshift.domain.events import Event, EventReversed, PatientArrived, PatientDeparted
from careshift.domain.time import GRID, floor_to_grid, require_aware
from careshift.forecast.census import INTERVAL_MINUTES, LengthOfStay
from careshift.forecast.metrics import FloatArray


@dataclass(frozen=True)
class UnitStays:
    """One unit's arrivals, completed stays (minutes) and patients still in (since when)."""

    unit: str
    arrivals: tuple[datetime, ...]
    stays_minutes: tuple[float, ...]
    present_since: tuple[datetime, ...]


def unit_stays(events: Iterable[Event], unit: str) -> UnitStays:
    """Pair arrivals and departures per patient on ``unit`` (ordered by occurrence time)."""
    items = list(events)
    reversed_keys = {e.reverses for e in items if isinstance(e, EventReversed)}
    relevant = [
        e
        for e in items
        if isinstance(e, PatientArrived | PatientDeparted) and e.unit == unit and e.key not in reversed_keys
    ]
    relevant.sort(key=lambda e: e.occurred_at.astimezone(UTC))
    open_since: dict[str, datetime] = {}
    arrivals: list[datetime] = []
    stays: list[float] = []
    for event in relevant:
        if isinstance(event, PatientArrived):
            arrivals.append(event.occurred_at)
            open_since[event.entity_id] = event.occurred_at
        elif event.entity_id in open_since:
            start = open_since.pop(event.entity_id)
            stays.append(max(1.0, (event.occurred_at - start).total_seconds() / 60))
    return UnitStays(unit, tuple(arrivals), tuple(stays), tuple(open_since.values()))


def arrivals_per_interval(arrivals: Sequence[datetime], first: datetime, count: int) -> FloatArray:
    """Arrivals counted in the ``count`` 15-minute intervals from ``first`` (others ignored)."""
    start = floor_to_grid(require_aware(first, "first interval")).astimezone(UTC)
    out = np.zeros(count)
    for instant in arrivals:
        index = int((instant.astimezone(UTC) - start) // GRID)
        if 0 <= index < count:
            out[index] += 1
    return out


def remaining_stay(los: LengthOfStay, elapsed_minutes: float) -> LengthOfStay:
    """The stay still ahead of a patient who has been in ``elapsed_minutes`` (conditional LOS)."""
    done = int(elapsed_minutes // INTERVAL_MINUTES)
    probs = np.asarray(los.probabilities)
    tail = probs[done:]
    if tail.sum() <= 0:
        # longer than any stay seen: assume one more interval rather than none
        return LengthOfStay((1.0,))
    return LengthOfStay(tuple(float(p) for p in tail / tail.sum()))


def length_of_stay(stays: UnitStays) -> LengthOfStay:
    """The empirical length of stay of the unit's completed stays."""
    if not stays.stays_minutes:
        raise ForecastInputError(
            f"unit {stays.unit} has no completed stay in the events; load a longer ADT history or give a LOS"
        )
    return LengthOfStay.from_minutes(stays.stays_minutes)
