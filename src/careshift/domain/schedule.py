"""Assignments of staff to shifts, and the schedule that holds them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, order=True)
class Assignment:
    """``staff`` works ``shift`` starting on ``day``, covering ``skill`` on ``unit``."""

    staff: str
    day: date
    shift: str
    skill: str | None = None
    unit: str | None = None

    def sort_key(self) -> tuple[str, date, str, bool, str, bool, str]:
        """Field order like ``<``, but safe when one assignment has ``skill``/``unit`` None
        and another a name (``<`` raises ``TypeError`` there); ``None`` sorts first."""
        return (
            self.staff,
            self.day,
            self.shift,
            self.skill is not None,
            self.skill or "",
            self.unit is not None,
            self.unit or "",
        )


@dataclass(frozen=True)
class Schedule:
    """A set of assignments, with the policy version it was made or checked under."""

    assignments: tuple[Assignment, ...]
    policy_version: str | None = None
    source: str = "manual"
    _by_staff: dict[str, tuple[Assignment, ...]] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def of(cls, assignments: Iterable[Assignment], **kwargs: str | None) -> Schedule:
        return cls(tuple(sorted(assignments, key=Assignment.sort_key)), **kwargs)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Assignment]:
        return iter(self.assignments)

    def __len__(self) -> int:
        return len(self.assignments)

    def for_staff(self, staff: str) -> tuple[Assignment, ...]:
        """The staff member's assignments, ordered by day."""
        if not self._by_staff:
            grouped: dict[str, list[Assignment]] = {}
            for assignment in sorted(self.assignments, key=Assignment.sort_key):
                grouped.setdefault(assignment.staff, []).append(assignment)
            self._by_staff.update({key: tuple(value) for key, value in grouped.items()})
        return self._by_staff.get(staff, ())

    def on(self, staff: str, day: date) -> tuple[Assignment, ...]:
        return tuple(a for a in self.for_staff(staff) if a.day == day)

    def diff(self, other: Schedule) -> tuple[frozenset[Assignment], frozenset[Assignment]]:
        """(removed, added) going from ``self`` to ``other``."""
        mine, theirs = frozenset(self.assignments), frozenset(other.assignments)
        return mine - theirs, theirs - mine
