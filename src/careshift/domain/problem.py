"""A rostering problem: everything the checker and the engine need, in one value."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date

from careshift.domain.demand import Census, IntervalCover, Request, ShiftCover
from careshift.domain.errors import DomainError
from careshift.domain.rules.base import Rule
from careshift.domain.schedule import Schedule
from careshift.domain.time import Horizon
from careshift.domain.workforce import Contract, ShiftType, Staff, StaffHistory, Unit


class DaysOff(Mapping[str, frozenset[date]]):
    """Staff id → fixed days off, read-only.

    Unlike ``types.MappingProxyType`` it pickles, so a problem can cross to a solver worker
    process (the proxy made every solve of a unit without leave fail there).
    """

    __slots__ = ("_days",)

    def __init__(self, days: Mapping[str, frozenset[date]] | None = None) -> None:
        self._days: dict[str, frozenset[date]] = {staff: frozenset(items) for staff, items in (days or {}).items()}

    def __getitem__(self, staff: str) -> frozenset[date]:
        return self._days[staff]

    def __iter__(self) -> Iterator[str]:
        return iter(self._days)

    def __len__(self) -> int:
        return len(self._days)

    def __repr__(self) -> str:
        return f"DaysOff({self._days!r})"

    def __reduce__(self) -> tuple[type[DaysOff], tuple[dict[str, frozenset[date]]]]:
        return (DaysOff, (self._days,))


@dataclass(frozen=True)
class RosterProblem:
    """Staff, shift types, demand and rules over a horizon.

    ``history`` is ``None`` when nothing is known about the days before the horizon
    (Curtois–Qu): a work or rest block touching the first day is then not charged for
    being too short. With history (INRC-II), its counters continue into day one.
    ``reference`` is the schedule that change-cost rules compare against (repair).
    ``frozen`` assignments must stay as they are (the near horizon during repair).
    """

    name: str
    horizon: Horizon
    shift_types: tuple[ShiftType, ...]
    staff: tuple[Staff, ...]
    rules: tuple[Rule, ...]
    contracts: tuple[Contract, ...] = ()
    units: tuple[Unit, ...] = ()
    cover: tuple[ShiftCover, ...] = ()
    interval_cover: tuple[IntervalCover, ...] = ()
    census: tuple[Census, ...] = ()
    requests: tuple[Request, ...] = ()
    days_off: Mapping[str, frozenset[date]] = field(default_factory=DaysOff)
    history: Mapping[str, StaffHistory] | None = None
    holidays: frozenset[date] = frozenset()
    reference: Schedule | None = None
    frozen_days: frozenset[date] = frozenset()
    skills: tuple[str, ...] = ()
    policy_version: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.days_off, DaysOff):
            # read-only and picklable whatever mapping the caller passed
            object.__setattr__(self, "days_off", DaysOff(self.days_off))
        for what, ids in (
            ("shift type", [s.id for s in self.shift_types]),
            ("staff", [s.id for s in self.staff]),
            ("rule", [r.id for r in self.rules]),
            ("unit", [u.id for u in self.units]),
            ("contract", [c.id for c in self.contracts]),
        ):
            seen: set[str] = set()
            for item in ids:
                if item in seen:
                    raise DomainError(f"problem {self.name}: duplicate {what} id {item!r}")
                seen.add(item)

    def shift_type(self, shift_id: str) -> ShiftType:
        for shift in self.shift_types:
            if shift.id == shift_id:
                return shift
        raise DomainError(f"problem {self.name}: unknown shift type {shift_id!r}")

    def member(self, staff_id: str) -> Staff:
        for member in self.staff:
            if member.id == staff_id:
                return member
        raise DomainError(f"problem {self.name}: unknown staff {staff_id!r}")

    def unit(self, unit_id: str) -> Unit:
        for unit in self.units:
            if unit.id == unit_id:
                return unit
        raise DomainError(f"problem {self.name}: unknown unit {unit_id!r}")

    def history_of(self, staff_id: str) -> StaffHistory | None:
        if self.history is None:
            return None
        return self.history.get(staff_id, StaffHistory())
