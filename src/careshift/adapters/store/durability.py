"""Group commit for the SQLite decision store: one ``fsync`` makes many commits durable.

With ``synchronous=FULL`` every SQLite commit waits for its own ``fsync`` of the write-ahead
log while holding the database's single write lock; on a disk where an ``fsync`` takes 5 ms
that caps the store at about 200 decisions a second however many schedulers click at once.
The decision store therefore commits with ``synchronous=NORMAL`` (the WAL frames are written,
not yet flushed) and, after releasing the write lock, waits on ``GroupSync.wait``: a caller
returns only once an ``fsync`` of the WAL that *started after its commit* has finished. Commits
that land while one flush runs share the next one. A caller is answered only when its change
is on disk, as with ``FULL``; the difference is that another connection may *read* a commit a
few milliseconds before it is durable (see ADR 0012).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from careshift.domain.errors import ServiceUnavailableError


class GroupSync:
    """Batches durability waits on one SQLite database file (``path``) into shared ``fsync`` calls."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._condition = threading.Condition()
        self._tickets = 0  # commits that asked for durability
        self._durable = 0  # every ticket up to this one is on disk
        self._flushing = False
        self.flushes = 0  # how many fsync rounds ran (for tests and metrics)

    def wait(self) -> None:
        """Return once everything this thread committed before calling is on disk."""
        with self._condition:
            self._tickets += 1
            ticket = self._tickets
            while self._durable < ticket:
                if self._flushing:
                    self._condition.wait()
                    continue
                self._flushing = True
                covered = self._tickets  # a flush that starts now covers every ticket issued so far
                self._condition.release()
                try:
                    self._fsync()
                finally:
                    self._condition.acquire()
                    self._flushing = False
                    self._condition.notify_all()
                self._durable = max(self._durable, covered)
                self.flushes += 1

    def _fsync(self) -> None:
        # The WAL holds the commits until a checkpoint; once SQLite checkpoints and removes it,
        # they are in (and were synced to) the main file. Sync whichever holds them now.
        for candidate in (Path(f"{self.path}-wal"), self.path):
            try:
                descriptor = os.open(candidate, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                os.fdatasync(descriptor)  # what SQLite itself uses on Linux
            except OSError as exc:
                raise ServiceUnavailableError(
                    f"the decision store could not flush {candidate.name} to disk ({exc.strerror}); "
                    "the last change may not be durable: check the disk, then retry"
                ) from exc
            finally:
                os.close(descriptor)
            return
