"""A short-lived cache of each unit's current recommendation, for the polling console.

Charge nurses' consoles ask "what is waiting on my unit?" every few seconds; answering from
the database each time makes the read queue behind decisions on a busy store. The cache
holds the answer per unit for at most ``ttl`` seconds and is emptied whenever a unit of work
of this process that may write ends, so a caller always reads its own writes at once.
Writes made by *another* process (a second API replica on the same database) become visible
within ``ttl``; ``ttl = 0`` turns the cache off.

A load that started before a write and finishes after it must not put the old answer back:
each invalidation bumps a generation, and a load stores its result only if no invalidation
happened while it ran.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class ReadCache(Generic[T]):
    """Per-key values that expire after ``ttl`` seconds or at the next ``invalidate()``."""

    ttl: float
    clock: Callable[[], float] = time.monotonic
    _entries: dict[str, tuple[float, T]] = field(default_factory=dict)
    _generation: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    def peek(self, key: str) -> tuple[bool, T | None]:
        """``(True, value)`` for a fresh entry, ``(False, None)`` when the caller must load."""
        entry = self._entries.get(key)
        if entry is None or self.clock() - entry[0] > self.ttl:
            return False, None
        return True, entry[1]

    def get(self, key: str, load: Callable[[], T]) -> T:
        """The fresh entry for ``key``, or ``load()`` remembered unless a write intervened."""
        hit, value = self.peek(key)
        if hit:
            return value  # type: ignore[return-value]
        generation = self._generation
        started = self.clock()
        loaded = load()
        if self.enabled:
            with self._lock:
                if generation == self._generation:
                    self._entries[key] = (started, loaded)
        return loaded

    def invalidate(self) -> None:
        """Forget everything (called when a unit of work that may write ends)."""
        with self._lock:
            self._generation += 1
            self._entries.clear()
