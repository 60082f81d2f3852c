"""Debouncing event-driven repairs per unit.

Call-outs and census changes arrive in bursts (a flu wave, a snow day, a bus crash filling
the ED); repairing after each one wastes solves and shows a scheduler a recommendation
that is stale a minute later. A unit is repaired once it has been quiet for ``quiet``, or
at the latest ``max_wait`` after its first pending event, whichever comes first.

Each note may carry the window of days it affects; the repair covers the union of the
windows of its causes (a note without a window widens it to the whole horizon). Notes
come from the event feed's thread and ``due`` from the ticker's, so both take a lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from careshift.domain.time import require_aware


@dataclass(frozen=True)
class DueRepair:
    """A unit whose debounce window closed: what triggered it and the days to repair.

    ``first_day``/``last_day`` are ``None`` when some cause asked for the whole horizon;
    ``demand`` is true when a demand trigger (census spike, ED surge) is among the causes.
    """

    unit: str
    causes: tuple[str, ...]
    first_day: date | None = None
    last_day: date | None = None
    demand: bool = False


@dataclass
class _Pending:
    first: datetime
    last: datetime
    causes: list[str]
    window: tuple[date, date] | None
    demand: bool


@dataclass
class Debouncer:
    """Collects triggering events per unit; ``due(now)`` hands out the units to repair."""

    quiet: timedelta = timedelta(seconds=30)
    max_wait: timedelta = timedelta(minutes=3)
    _pending: dict[str, _Pending] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def note(
        self, unit: str, at: datetime, cause: str, *, window: tuple[date, date] | None = None, demand: bool = False
    ) -> None:
        """Remember that ``cause`` touched ``unit`` at ``at``; ``window`` is the days it
        affects (first, last), ``None`` for the whole horizon."""
        require_aware(at, "debounce time")
        with self._lock:
            pending = self._pending.get(unit)
            if pending is None:
                self._pending[unit] = _Pending(at, at, [cause], window, demand)
                return
            pending.last = max(pending.last, at)
            if cause not in pending.causes:
                pending.causes.append(cause)
            if pending.window is not None:
                pending.window = (
                    None if window is None else (min(pending.window[0], window[0]), max(pending.window[1], window[1]))
                )
            pending.demand = pending.demand or demand

    def due(self, now: datetime) -> list[DueRepair]:
        """Units ready for repair at ``now`` with their causes, removed from the pending set."""
        with self._lock:
            ready = sorted(
                unit
                for unit, pending in self._pending.items()
                if now - pending.last >= self.quiet or now - pending.first >= self.max_wait
            )
            found = [(unit, self._pending.pop(unit)) for unit in ready]
        return [
            DueRepair(
                unit,
                tuple(p.causes),
                p.window[0] if p.window else None,
                p.window[1] if p.window else None,
                p.demand,
            )
            for unit, p in found
        ]

    def pending(self) -> dict[str, int]:
        """Units waiting, with how many causes each."""
        with self._lock:
            return {unit: len(p.causes) for unit, p in self._pending.items()}
