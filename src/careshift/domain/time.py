"""Time on the ward: timezone-aware instants, 15-minute intervals, DST-safe shifts.

Legal nurse-to-patient ratios hold *at all times*, so cover is checked on a grid of
15-minute intervals. Every instant is timezone-aware; a naive ``datetime`` is refused
because it cannot be placed on a unit's clock across a daylight-saving change.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from careshift.domain.errors import DomainError

GRID = timedelta(minutes=15)
GRID_MINUTES = 15


def require_aware(instant: datetime, what: str = "instant") -> datetime:
    """Return ``instant`` if it carries a timezone; raise a ``DomainError`` otherwise."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise DomainError(
            f"{what} {instant.isoformat()} has no timezone; attach the unit's IANA zone "
            "(e.g. datetime(..., tzinfo=ZoneInfo('America/Los_Angeles')))"
        )
    return instant


def zone(name: str) -> ZoneInfo:
    """The IANA timezone ``name``, with a clear error when it does not exist."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DomainError(f"unknown timezone {name!r}; use an IANA name such as 'Europe/London'") from exc


def floor_to_grid(instant: datetime) -> datetime:
    """The start of the 15-minute interval holding ``instant`` (computed in UTC)."""
    utc = require_aware(instant).astimezone(UTC)
    floored = utc.replace(minute=utc.minute - utc.minute % GRID_MINUTES, second=0, microsecond=0)
    return floored.astimezone(instant.tzinfo)


def on_grid(instant: datetime) -> bool:
    """True when ``instant`` starts a 15-minute interval."""
    return floor_to_grid(instant) == instant


@dataclass(frozen=True, order=True)
class Interval:
    """A half-open span of time ``[start, end)`` between two aware instants."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        require_aware(self.start, "interval start")
        require_aware(self.end, "interval end")
        if self.end < self.start:
            raise DomainError(f"interval ends ({self.end.isoformat()}) before it starts ({self.start.isoformat()})")

    @property
    def duration(self) -> timedelta:
        return self.end.astimezone(UTC) - self.start.astimezone(UTC)

    @property
    def minutes(self) -> int:
        return int(self.duration.total_seconds() // 60)

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def overlap_minutes(self, other: Interval) -> int:
        # In UTC: Python subtracts two datetimes sharing a tzinfo on the wall clock,
        # which is an hour off across a DST change.
        start = max(self.start, other.start).astimezone(UTC)
        end = min(self.end, other.end).astimezone(UTC)
        return max(0, int((end - start).total_seconds() // 60))

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant < self.end

    def grid(self) -> Iterator[Interval]:
        """The 15-minute intervals that overlap this span, in order (UTC arithmetic)."""
        tz = self.start.tzinfo
        cursor = floor_to_grid(self.start).astimezone(UTC)
        end = self.end.astimezone(UTC)
        while cursor < end:
            yield Interval(cursor.astimezone(tz), (cursor + GRID).astimezone(tz))
            cursor += GRID


def local_instant(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """The aware instant at wall-clock ``clock`` on ``day`` in ``tz``.

    In a spring-forward gap the clock time does not exist; we move it forward to the
    first valid instant, as ward clocks do. In a fall-back overlap we take the first
    occurrence (``fold=0``).
    """
    naive = datetime.combine(day, clock)
    candidate = naive.replace(tzinfo=tz, fold=0)
    roundtrip = candidate.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if roundtrip != naive:  # the wall-clock time fell in a DST gap
        return candidate.astimezone(UTC).astimezone(tz)
    return candidate


def days(start: date, count: int) -> tuple[date, ...]:
    """``count`` consecutive calendar days from ``start``."""
    return tuple(start + timedelta(days=offset) for offset in range(count))


def is_weekend(day: date) -> bool:
    """Saturday or Sunday."""
    return day.weekday() >= 5


@dataclass(frozen=True)
class Horizon:
    """The planning horizon: ``length`` calendar days from ``start`` on ``timezone``'s clock."""

    start: date
    length: int
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        if self.length <= 0:
            raise DomainError(f"horizon length must be positive, got {self.length} days")
        zone(self.timezone)

    @property
    def days(self) -> tuple[date, ...]:
        return days(self.start, self.length)

    @property
    def end(self) -> date:
        """The first day after the horizon."""
        return self.start + timedelta(days=self.length)

    def index(self, day: date) -> int:
        """0-based position of ``day`` in the horizon."""
        offset = (day - self.start).days
        if not 0 <= offset < self.length:
            raise DomainError(f"{day.isoformat()} is outside the horizon {self.start.isoformat()} + {self.length} days")
        return offset

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and 0 <= (day - self.start).days < self.length

    def weekends(self) -> tuple[tuple[date, ...], ...]:
        """The weekends (the Saturday and/or Sunday inside the horizon), in order."""
        groups: dict[date, list[date]] = {}
        for day in self.days:
            if is_weekend(day):
                saturday = day - timedelta(days=day.weekday() - 5)
                groups.setdefault(saturday, []).append(day)
        return tuple(tuple(group) for _, group in sorted(groups.items()))
