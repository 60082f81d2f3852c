"""What must be covered: staff requirements per shift or per 15-minute interval, and census.

Three levels per requirement (DESIGN §3): ``floor`` is law or policy and hard; ``target``
is the forecast quantile at the unit's risk level, soft, with ``weight_under`` per missing
person; ``cap`` is soft, with ``weight_over`` per extra person. ``cap=None`` means no cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from careshift.domain.errors import DomainError
from careshift.domain.time import on_grid, require_aware


def _check_levels(what: str, floor: int, target: int, cap: int | None) -> None:
    if floor < 0 or target < floor or (cap is not None and cap < target):
        raise DomainError(f"{what}: need 0 <= floor <= target <= cap, got floor={floor} target={target} cap={cap}")


@dataclass(frozen=True)
class ShiftCover:
    """Staff needed on ``shift`` on ``day`` with ``skill`` (``None``: any staff) on ``unit``."""

    day: date
    shift: str
    floor: int
    target: int
    cap: int | None = None
    skill: str | None = None
    unit: str | None = None
    weight_under: int = 1
    weight_over: int = 1

    def __post_init__(self) -> None:
        _check_levels(f"cover {self.day} {self.shift} {self.skill or '*'}", self.floor, self.target, self.cap)


@dataclass(frozen=True)
class IntervalCover:
    """Staff needed on ``unit`` during the 15-minute interval starting at ``start``."""

    unit: str
    start: datetime
    floor: int
    target: int
    cap: int | None = None
    skill: str | None = None
    role: str | None = None
    weight_under: int = 1
    weight_over: int = 1

    def __post_init__(self) -> None:
        require_aware(self.start, "interval cover start")
        if not on_grid(self.start):
            raise DomainError(
                f"interval cover on {self.unit} starts at {self.start.isoformat()}, off the 15-minute grid"
            )
        _check_levels(f"interval cover {self.unit} {self.start.isoformat()}", self.floor, self.target, self.cap)


@dataclass(frozen=True)
class Census:
    """Patients on ``unit`` during the 15-minute interval from ``start`` (a count, never ids)."""

    unit: str
    start: datetime
    patients: int
    acuity_extra_staff: int = 0

    def __post_init__(self) -> None:
        require_aware(self.start, "census start")
        if self.patients < 0:
            raise DomainError(f"census on {self.unit} at {self.start.isoformat()} is negative ({self.patients})")


@dataclass(frozen=True)
class Request:
    """A staff request to work (``on=True``) or not work a shift on a day.

    ``shift=None`` means any shift (a day-off request). ``weight`` is the request's own
    priority; the preference rule's weight multiplies it.
    """

    staff: str
    day: date
    shift: str | None
    on: bool
    weight: int = 1
