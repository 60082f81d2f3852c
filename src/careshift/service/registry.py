"""Port for reference data that batch files bring and the event log does not hold.

Units, staff records and the real start/end of rostered shifts are *state*, replaced when
the source sends a newer version, not facts appended to a log. Each stored row remembers
the hash of the input row it came from, so re-sending an unchanged row writes nothing.
The port also keeps the bookkeeping of imported files (by content hash), which makes
re-importing the same file a no-op.

``careshift.adapters.store.imports`` implements it on SQL (tables added by migration
0002); ``careshift.adapters.csv.memory`` in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, Protocol, TypeVar

from careshift.domain.schedule import Assignment
from careshift.domain.workforce import Staff, Unit

T = TypeVar("T")


@dataclass(frozen=True)
class Keyed(Generic[T]):
    """A record with its natural ``key`` and the ``row_hash`` of the input row it came from."""

    key: str
    row_hash: str
    value: T
    line: int = 0


@dataclass(frozen=True)
class ImportedFile:
    """The bookkeeping of one imported file: what, which contract, when, how many rows."""

    name: str
    sha256: str
    kind: str
    contract: str
    imported_at: datetime
    rows: int


@dataclass(frozen=True)
class StaffRecord:
    """A staff member as stored, with when the source last changed the record."""

    staff: Staff
    updated_at: datetime | None
    source: str = ""


@dataclass(frozen=True)
class TimedAssignment:
    """An assignment with its real start and end (``None`` when the source did not say)."""

    assignment: Assignment
    start: datetime | None
    end: datetime | None
    source: str = ""


@dataclass(frozen=True)
class Written:
    """What an upsert did: rows new or changed, rows already held with the same content."""

    written: int
    unchanged: int


class ReferenceData(Protocol):
    """Units, staff records, shift times and imported-file bookkeeping."""

    def find_import(self, sha256: str) -> ImportedFile | None:
        """The earlier import of a file with these exact bytes, if any."""
        ...

    def record_import(self, file: ImportedFile) -> None:
        """Remember that ``file`` was imported (after everything else of it is stored)."""
        ...

    def put_units(self, rows: Sequence[Keyed[Unit]]) -> Written:
        """Upsert units by key, skipping rows whose hash is unchanged."""
        ...

    def units(self) -> list[Unit]:
        """Every known unit, by id."""
        ...

    def put_staff(self, rows: Sequence[Keyed[StaffRecord]]) -> Written:
        """Upsert staff records by key, skipping rows whose hash is unchanged."""
        ...

    def staff(self) -> list[StaffRecord]:
        """Every known staff record, by id."""
        ...

    def put_shifts(self, rows: Sequence[Keyed[TimedAssignment]]) -> Written:
        """Upsert timed assignments by key, skipping rows whose hash is unchanged."""
        ...

    def shifts(self, first_day: date, last_day: date) -> list[Keyed[TimedAssignment]]:
        """Timed assignments (with their keys) on days in ``[first_day, last_day]``, in order."""
        ...
