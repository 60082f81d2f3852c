"""Tiny readable fixtures for the time-based rule tests (one ward on Los Angeles time)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from careshift.domain.checker import CheckReport, check
from careshift.domain.demand import Census, IntervalCover
from careshift.domain.problem import RosterProblem
from careshift.domain.rules.base import Rule, RuleSpec, Scope
from careshift.domain.schedule import Assignment, Schedule
from careshift.domain.time import Horizon
from careshift.domain.workforce import Contract, Credential, ShiftType, Staff, StaffHistory, Unit, UnitType

LA = "America/Los_Angeles"
TZ = ZoneInfo(LA)
MONDAY = date(2026, 3, 2)  # the week before the spring-forward night (Sun 8 March 2026)

D = ShiftType("D", 720, time(7), time(19))
N = ShiftType("N", 720, time(19), time(7), tags=frozenset({"night"}))
E = ShiftType("E", 480, time(7), time(15))
L = ShiftType("L", 480, time(15), time(23))
SHIFTS = (D, N, E, L)

WARD = Unit("4W", "4 West", UnitType.MED_SURG, LA, 20)


def nurse(staff_id: str, *, roles: Iterable[str] = ("RN",), contract: str = "FT", **kwargs: object) -> Staff:
    kwargs.setdefault("home_unit", "4W")
    return Staff(staff_id, roles=frozenset(roles), contract_id=contract, **kwargs)  # type: ignore[arg-type]


def rule(
    spec: RuleSpec, *, hard: bool = False, weight: int = 1, scope: Scope | None = None, rule_id: str | None = None
) -> Rule:
    return Rule(rule_id or f"r-{spec.family}", spec, hard=hard, weight=weight, scope=scope or Scope())


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


def problem(
    staff: Iterable[Staff],
    rules: Iterable[Rule],
    *,
    start: date = MONDAY,
    length: int = 14,
    shifts: tuple[ShiftType, ...] = SHIFTS,
    units: tuple[Unit, ...] = (WARD,),
    **kwargs: object,
) -> RosterProblem:
    return RosterProblem(
        name="tiny",
        horizon=Horizon(start, length, LA),
        shift_types=shifts,
        staff=tuple(staff),
        rules=tuple(rules),
        contracts=(Contract("FT", 1.0), Contract("P60", 0.6), Contract("P90", 0.9)),
        units=units,
        **kwargs,  # type: ignore[arg-type]
    )


def schedule(*rows: tuple[str, date, str] | Assignment) -> Schedule:
    return Schedule.of(row if isinstance(row, Assignment) else Assignment(*row) for row in rows)


def amounts(report: CheckReport) -> list[int]:
    return [violation.amount for violation in report.violations]


def census_every_15(unit: str, first: datetime, last: datetime, patients: int) -> tuple[Census, ...]:
    """A flat census from ``first`` to ``last`` inclusive (UTC steps, so DST is safe)."""
    rows = []
    cursor = first
    while cursor <= last:
        rows.append(Census(unit, cursor, patients))
        cursor = (cursor.astimezone(ZoneInfo("UTC")) + timedelta(minutes=15)).astimezone(TZ)
    return tuple(rows)


def cover_every_15(unit: str, first: datetime, count: int, **levels: object) -> tuple[IntervalCover, ...]:
    """``count`` cover lines from ``first``, stepping in UTC (wall-clock steps break at DST)."""
    start = first.astimezone(ZoneInfo("UTC"))
    return tuple(
        IntervalCover(unit, (start + timedelta(minutes=15 * k)).astimezone(TZ), **levels)  # type: ignore[arg-type]
        for k in range(count)
    )


__all__ = [
    "LA",
    "MONDAY",
    "WARD",
    "Credential",
    "StaffHistory",
    "at",
    "check",
    "census_every_15",
    "cover_every_15",
    "nurse",
    "problem",
    "rule",
    "schedule",
]
