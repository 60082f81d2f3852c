"""Staff, their contracts and credentials, the units they work on, and shift types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from careshift.domain.errors import DomainError
from careshift.domain.time import Interval, local_instant, zone


class UnitType(StrEnum):
    """Unit types used by ratio laws (California Title 22, Oregon HB 2697)."""

    ICU = "icu"
    STEP_DOWN = "step_down"
    MED_SURG = "med_surg"
    TELEMETRY = "telemetry"
    ED = "ed"
    PEDIATRICS = "pediatrics"
    ONCOLOGY = "oncology"
    LABOR_DELIVERY = "labor_delivery"
    POSTPARTUM = "postpartum"
    PSYCHIATRIC = "psychiatric"
    PACU = "pacu"
    OR = "or"
    NICU = "nicu"
    OTHER = "other"


@dataclass(frozen=True)
class Unit:
    """A ward or department, on its own clock."""

    id: str
    name: str
    unit_type: UnitType
    timezone: str
    beds: int

    def __post_init__(self) -> None:
        zone(self.timezone)
        if self.beds < 0:
            raise DomainError(f"unit {self.id}: beds must be >= 0, got {self.beds}")


@dataclass(frozen=True)
class Credential:
    """A licence or certification (e.g. ``RN-CA``, ``ACLS``); ``expires`` is the last valid day."""

    code: str
    expires: date | None = None

    def valid_on(self, day: date) -> bool:
        return self.expires is None or day <= self.expires


@dataclass(frozen=True)
class Contract:
    """An employment contract: FTE and the hour limits that come with it.

    Limits here are the contract's *own* numbers; policy rules may add stricter ones.
    ``None`` means no limit of that kind.
    """

    id: str
    fte: float = 1.0
    min_minutes: int | None = None
    max_minutes: int | None = None
    weekly_minutes: int | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.fte <= 1.5:
            raise DomainError(f"contract {self.id}: FTE {self.fte} outside 0..1.5")


@dataclass(frozen=True)
class Staff:
    """A member of staff who can be rostered.

    ``roles`` are job codes (``RN``, ``LPN``, ``CNA``, ``CHARGE``); ``skills`` are what they may
    cover on a shift (INRC-II skills, ``icu``, ``triage``); ``float_units`` are the units
    other than ``home_unit`` they are oriented to.
    """

    id: str
    name: str = ""
    roles: frozenset[str] = frozenset({"RN"})
    skills: frozenset[str] = frozenset()
    credentials: tuple[Credential, ...] = ()
    contract_id: str = "default"
    home_unit: str | None = None
    float_units: frozenset[str] = frozenset()
    seniority: int = 0

    def has_credential(self, code: str, on: date) -> bool:
        return any(credential.code == code and credential.valid_on(on) for credential in self.credentials)

    def can_work_on(self, unit_id: str) -> bool:
        return self.home_unit is None or unit_id == self.home_unit or unit_id in self.float_units


@dataclass(frozen=True)
class ShiftType:
    """A kind of shift, such as ``D`` (07:00–19:00) or ``N`` (19:00–07:00).

    ``minutes`` is the paid length used for hour limits. ``start`` and ``end`` are wall-clock
    times on the unit's clock; when ``end <= start`` the shift crosses midnight. Benchmarks
    that give only a length leave ``start``/``end`` unset; such shifts have no interval.
    ``forbidden_next`` lists shift types that may not be worked the next day (hard by
    itself in the Curtois and INRC-II models). ``tags`` marks kinds such as ``night``.
    """

    id: str
    minutes: int
    start: time | None = None
    end: time | None = None
    forbidden_next: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    break_minutes: int = 0

    def __post_init__(self) -> None:
        if self.minutes < 0:
            raise DomainError(f"shift type {self.id}: minutes must be >= 0, got {self.minutes}")
        if (self.start is None) != (self.end is None):
            raise DomainError(f"shift type {self.id}: give both start and end, or neither")

    @property
    def crosses_midnight(self) -> bool:
        return self.start is not None and self.end is not None and self.end <= self.start

    @property
    def is_night(self) -> bool:
        return "night" in self.tags

    def interval_on(self, day: date, timezone: str) -> Interval:
        """The real interval of this shift starting on ``day`` in ``timezone``.

        Computed from wall-clock start and end, so a 19:00–07:00 night is 11 h on the
        spring-forward night and 13 h on the fall-back night.
        """
        if self.start is None or self.end is None:
            raise DomainError(f"shift type {self.id} has no clock times; set start and end to place it in time")
        tz = zone(timezone)
        end_day = day + timedelta(days=1) if self.crosses_midnight else day
        return Interval(local_instant(day, self.start, tz), local_instant(end_day, self.end, tz))


def worked_minutes(shift: ShiftType, day: date, timezone: str) -> int:
    """Minutes on the clock for ``shift`` on ``day``: real elapsed time when the shift has
    clock times (so DST counts), the nominal ``minutes`` otherwise."""
    if shift.start is None:
        return shift.minutes
    return shift.interval_on(day, timezone).minutes


def instant_on(day: date, clock: time, timezone: str) -> datetime:
    """Convenience: the aware instant for a wall-clock time on a unit's clock."""
    return local_instant(day, clock, zone(timezone))


@dataclass(frozen=True)
class StaffHistory:
    """What happened before the horizon (INRC-II border data; zero when unknown)."""

    last_shift: str | None = None
    consecutive_same_shift: int = 0
    consecutive_work_days: int = 0
    consecutive_days_off: int = 0
    total_assignments: int = 0
    total_working_weekends: int = 0
    last_shift_end: datetime | None = None
    extra: tuple[tuple[str, int], ...] = field(default=())
