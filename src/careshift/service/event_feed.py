"""The ingest → bus hook: follow the event log and hand newly logged events to the bus.

Every ingest path (the MLLP listener in ``careshift serve`` or ``careshift ingest mllp``,
``careshift ingest fhir``, CSV imports, the stream consumer) ends in one place: the
event log. Following the log, rather than calling the bus from each adapter, gives three
properties for free:

- the bus only sees events that are durably committed (the feed reads committed rows),
  and a bus failure cannot lose an event or change the acknowledgement its sender got;
- events appended by another process (a separate ``careshift ingest``) trigger repairs
  as well as those of the in-process listener;
- one path, one set of tests, no double delivery.

Position: the log's position is its row id (``appended_after``). On PostgreSQL two
concurrent appenders can commit ids out of order, so a missing id is waited for
(``gap_grace``) before the feed steps over it (a rolled-back insert leaves a permanent
gap). The position is saved (``CursorStore``) only while the bus has no repair pending:
a restart then replays from the last quiet point and no noted-but-unrepaired unit is
forgotten, at the price of at most one repeated note. A feed that has never run starts
at the end of the log: older events are already in the projections every plan reads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from careshift.domain.events import Event
from careshift.service.repositories import Clock

log = logging.getLogger(__name__)


class FollowedLog(Protocol):
    """The part of the event log the feed reads (``SqlStore``, ``MemoryStore``)."""

    def appended_after(self, position: int, limit: int = 500) -> list[tuple[int, Event]]: ...

    def log_end(self) -> int: ...


class CursorStore(Protocol):
    """Where a feed keeps its position between runs (``SqlFeedCursors`` in the store)."""

    def position(self, name: str) -> int | None: ...

    def save(self, name: str, position: int) -> None: ...


@dataclass
class MemoryCursors:
    """``CursorStore`` in a dict (unit tests, the in-memory demo)."""

    positions: dict[str, int] = field(default_factory=dict)

    def position(self, name: str) -> int | None:
        return self.positions.get(name)

    def save(self, name: str, position: int) -> None:
        self.positions[name] = max(position, self.positions.get(name, 0))


@dataclass
class EventFeed:
    """Polls ``log`` after its position and calls ``deliver`` with each batch of new events."""

    log: FollowedLog
    deliver: Callable[[Sequence[Event]], None]
    cursors: CursorStore
    clock: Clock
    name: str = "serve"
    idle: Callable[[], bool] = lambda: True
    gap_grace: timedelta = timedelta(seconds=30)
    batch: int = 500
    max_attempts: int = 3
    _position: int | None = None
    _seen: set[int] = field(default_factory=set)
    _gaps: dict[int, datetime] = field(default_factory=dict)
    _attempts: int = 0
    _saved: int | None = None

    @property
    def position(self) -> int:
        """Every event up to here has been delivered (or stepped over after the grace)."""
        if self._position is None:
            saved = self.cursors.position(self.name)
            self._position = saved if saved is not None else self.log.log_end()
            if saved is None:  # saved at once: what comes after this point is never history
                self.cursors.save(self.name, self._position)
            self._saved = self._position
            log.info("event feed %s starts after log position %d", self.name, self._position)
        return self._position

    def poll(self) -> int:
        """Deliver what is new; returns how many events were delivered."""
        rows = self.log.appended_after(self.position, self.batch)
        fresh = [(position, event) for position, event in rows if position not in self._seen]
        if fresh:
            try:
                self.deliver([event for _, event in fresh])
            except Exception as exc:  # the events are safe in the log; retry, then step over
                self._attempts += 1
                log.error(
                    "event feed %s: delivering %d events failed (%s), attempt %d of %d",
                    self.name,
                    len(fresh),
                    type(exc).__name__,
                    self._attempts,
                    self.max_attempts,
                )
                if self._attempts < self.max_attempts:
                    return 0
            self._attempts = 0
            self._seen.update(position for position, _ in fresh)
        self._advance()
        if self.position != self._saved and self.idle():
            self.cursors.save(self.name, self.position)
            self._saved = self.position
        return len(fresh)

    def _advance(self) -> None:
        position = self.position
        now = self.clock()
        while self._seen:
            following = position + 1
            if following in self._seen:
                self._seen.discard(following)
                self._gaps.pop(following, None)
                position = following
                continue
            noticed = self._gaps.setdefault(following, now)
            if now - noticed < self.gap_grace:
                break  # an earlier transaction may still commit this id
            log.warning("event feed %s: log position %d never appeared; stepping over it", self.name, following)
            del self._gaps[following]
            position = following
        self._position = position
