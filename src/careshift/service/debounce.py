"""Debouncing event-driven repairs per unit.

Call-outs arrive in bursts (a flu wave, a snow day); repairing after each one wastes
solves and shows a scheduler a recommendation that is stale a minute later. A unit is
repaired once it has been quiet for ``quiet``, or at the latest ``max_wait`` after its
first pending event, whichever comes first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from careshift.domain.time import require_aware


@dataclass
class _Pending:
    first: datetime
    last: datetime
    causes: list[str]


@dataclass
class Debouncer:
    """Collects triggering events per unit; ``due(now)`` hands out the units to repair."""

    quiet: timedelta = timedelta(seconds=30)
    max_wait: timedelta = timedelta(minutes=3)
    _pending: dict[str, _Pending] = field(default_factory=dict)

    def note(self, unit: str, at: datetime, cause: str) -> None:
        """Remember that ``cause`` (an event key) touched ``unit`` at ``at``."""
        require_aware(at, "debounce time")
        pending = self._pending.get(unit)
        if pending is None:
            self._pending[unit] = _Pending(at, at, [cause])
            return
        pending.last = max(pending.last, at)
        if cause not in pending.causes:
            pending.causes.append(cause)

    def due(self, now: datetime) -> list[tuple[str, tuple[str, ...]]]:
        """Units ready for repair at ``now`` with their causes, removed from the pending set."""
        ready = [
            unit
            for unit, pending in self._pending.items()
            if now - pending.last >= self.quiet or now - pending.first >= self.max_wait
        ]
        return [(unit, tuple(self._pending.pop(unit).causes)) for unit in sorted(ready)]

    def pending(self) -> dict[str, int]:
        """Units waiting, with how many causes each."""
        return {unit: len(p.causes) for unit, p in self._pending.items()}
