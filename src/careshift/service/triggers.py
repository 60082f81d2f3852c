"""Demand triggers: when a census spike or an ED surge should repair a unit's roster.

A call-out opens a hole in the roster; a spike in demand makes the roster too thin. Each
unit has thresholds (the policy pack's ``triggers:`` section, :mod:`careshift.policy.triggers`):

- **census rise**: the census grew by at least ``census_rise_patients`` patients, or by
  ``census_rise_percent`` % of a census of at least ``census_min_patients``, within
  ``census_window`` (from the lowest count in the window to now);
- **ED surge**: more than ``ed_arrivals_per_hour`` emergency arrivals (``PatientArrived``
  with HL7 patient class ``E``) on the unit in the last hour.

A crossing asks for a repair of the days from the event's day (on the unit's clock) to
``repair_days`` days on, and says in words what crossed, e.g. "census on 4W rose from 18
to 24 in 2 h (threshold +4 patients in 2 h)". The evaluation functions are pure; the
:class:`DemandWatch` reads the census and arrivals through the store's ports and remembers
the last crossing per unit, so a census that stays high does not re-trigger on every
admission (it must rise by the threshold again, or the window must pass).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Protocol

from careshift.domain.events import CensusChanged, Event, EventReversed, EventStatus, PatientArrived, PatientDeparted
from careshift.domain.time import GRID
from careshift.domain.triggers import TriggerPolicy, UnitTriggers
from careshift.service.ports import CensusInterval, StoredEvent

EMERGENCY_CLASS = "E"
"""HL7 table 0004 patient class "Emergency"."""

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Crossing:
    """A threshold crossed on ``unit`` at ``at``: repair ``window`` (first, last day)."""

    unit: str
    kind: str  # "census" or "ed-surge"
    at: datetime
    level: int
    cause: str
    window: tuple[date, date]


def duration_text(span: timedelta) -> str:
    """``2 h``, ``45 min``, ``1 h 30 min``: how a charge nurse says it."""
    minutes = int(span.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def repair_window(at: datetime, zone: tzinfo, days: int) -> tuple[date, date]:
    """The event's day on the unit's clock and the ``days - 1`` days after it."""
    first = at.astimezone(zone).date()
    return first, first + timedelta(days=max(days, 1) - 1)


def _threshold_text(rules: UnitTriggers) -> str:
    parts = []
    if rules.census_rise_patients is not None:
        parts.append(f"+{rules.census_rise_patients} patients")
    if rules.census_rise_percent is not None:
        parts.append(f"+{rules.census_rise_percent:g} %")
    return f"{' or '.join(parts)} in {duration_text(rules.census_window)}"


def census_crossing(
    unit: str, series: Sequence[CensusInterval], at: datetime, rules: UnitTriggers, zone: tzinfo = UTC
) -> Crossing | None:
    """The census rise ending at ``at`` when it crosses ``rules``, else ``None``.

    ``series`` is the unit's census per 15-minute interval over the window, oldest first;
    the last interval is the census now. The rise is measured from the latest lowest count
    in the window: a rise that has already fallen back does not count, and admissions that
    refill beds emptied by discharges do (each admission is work for the nurses now).
    """
    if not series:
        return None
    now = series[-1].patients
    # The latest lowest point: the rise began in the interval after it.
    low_index = min(range(len(series)), key=lambda index: (series[index].patients, -index))
    low = series[low_index].patients
    rise = now - low
    if rise <= 0:
        return None
    by_count = rules.census_rise_patients is not None and rise >= rules.census_rise_patients
    by_share = (
        rules.census_rise_percent is not None
        and low >= rules.census_min_patients
        and rise * 100 >= rules.census_rise_percent * low
    )
    if not (by_count or by_share):
        return None
    span = max(at - series[low_index].start - GRID, GRID)
    cause = f"census on {unit} rose from {low} to {now} in {duration_text(span)} (threshold {_threshold_text(rules)})"
    return Crossing(unit, "census", at, now, cause, repair_window(at, zone, rules.repair_days))


def is_emergency_arrival(stored: StoredEvent) -> bool:
    event = stored.event
    return (
        isinstance(event, PatientArrived)
        and event.status is EventStatus.FINAL
        and event.patient_class.upper() == EMERGENCY_CLASS
        and stored.reversed_by is None
    )


def ed_crossing(unit: str, arrivals: int, at: datetime, rules: UnitTriggers, zone: tzinfo = UTC) -> Crossing | None:
    """An ED surge when ``arrivals`` in the hour up to ``at`` exceed the unit's level."""
    level = rules.ed_arrivals_per_hour
    if level is None or arrivals <= level:
        return None
    cause = f"ED surge on {unit}: {arrivals} emergency arrivals in the last hour (threshold {level} per hour)"
    return Crossing(unit, "ed-surge", at, arrivals, cause, repair_window(at, zone, rules.repair_days))


class DemandSource(Protocol):
    """What the watch reads from the store (its census projection and event log)."""

    def census(self, start: datetime, end: datetime, unit: str | None = None) -> list[CensusInterval]: ...

    def read(
        self, *, since: datetime | None = None, until: datetime | None = None, unit: str | None = None
    ) -> list[StoredEvent]: ...


DEMAND_EVENTS = (PatientArrived, PatientDeparted, CensusChanged, EventReversed)


@dataclass
class DemandWatch:
    """Evaluates newly logged census events against each unit's thresholds."""

    source: DemandSource
    policy: TriggerPolicy = field(default_factory=TriggerPolicy)
    zones: Mapping[str, tzinfo] = field(default_factory=dict)
    _last: dict[tuple[str, str], tuple[datetime, int]] = field(default_factory=dict)

    def observe(self, events: Sequence[Event]) -> list[Crossing]:
        """The crossings the census events of one batch cause (one evaluation per unit)."""
        latest: dict[str, datetime] = {}
        emergency: dict[str, datetime] = {}
        for event in events:
            if not isinstance(event, DEMAND_EVENTS) or not event.unit:
                continue
            at = event.occurred_at.astimezone(UTC)
            latest[event.unit] = max(latest.get(event.unit, at), at)
            if isinstance(event, PatientArrived) and event.patient_class.upper() == EMERGENCY_CLASS:
                emergency[event.unit] = max(emergency.get(event.unit, at), at)
        found: list[Crossing] = []
        for unit in sorted(latest):
            crossing = self._census(unit, latest[unit])
            if crossing is not None:
                found.append(crossing)
        for unit in sorted(emergency):
            crossing = self._ed(unit, emergency[unit])
            if crossing is not None:
                found.append(crossing)
        return found

    def _census(self, unit: str, at: datetime) -> Crossing | None:
        rules = self.policy.for_unit(unit)
        if rules.census_rise_patients is None and rules.census_rise_percent is None:
            return None
        series = self.source.census(at - rules.census_window, at + timedelta(microseconds=1), unit)
        crossing = census_crossing(unit, series, at, rules, self.zones.get(unit, UTC))
        if crossing is None:
            return None
        last = self._last.get((unit, "census"))
        step = rules.census_rise_patients or 1
        if last is not None and at - last[0] < rules.census_window and crossing.level - last[1] < step:
            return None  # still the same spike: it must rise by the threshold again to re-trigger
        self._last[(unit, "census")] = (at, crossing.level)
        return crossing

    def _ed(self, unit: str, at: datetime) -> Crossing | None:
        rules = self.policy.for_unit(unit)
        if rules.ed_arrivals_per_hour is None:
            return None
        stored = self.source.read(since=at - HOUR, until=at + timedelta(microseconds=1), unit=unit)
        arrivals = sum(1 for item in stored if is_emergency_arrival(item))
        crossing = ed_crossing(unit, arrivals, at, rules, self.zones.get(unit, UTC))
        if crossing is None:
            return None
        last = self._last.get((unit, "ed-surge"))
        if last is not None and at - last[0] < HOUR:
            return None  # one surge, one repair per hour
        self._last[(unit, "ed-surge")] = (at, crossing.level)
        return crossing
