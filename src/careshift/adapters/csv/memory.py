"""An in-memory :class:`~careshift.adapters.csv.importer.CsvImportStore` for tests and dry runs.

It keeps the same idempotency rules as the SQL store: records are replaced only when their
row hash changes, events are appended only when their ``(source_system, source_id)`` key is
new, and a quarantined row is kept once per ``(file, row hash)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from careshift.adapters.csv.contracts import RosterRow, StaffRow, UnitRow
from careshift.adapters.csv.importer import CommitResult, ImportBatch, ImportedFile, Keyed, QuarantinedRow
from careshift.domain.events import Event

T = TypeVar("T")


@dataclass
class InMemoryCsvStore:
    """Dictionaries standing in for the store's tables."""

    units: dict[str, Keyed[UnitRow]] = field(default_factory=dict)
    staff: dict[str, Keyed[StaffRow]] = field(default_factory=dict)
    assignments: dict[str, Keyed[RosterRow]] = field(default_factory=dict)
    events: dict[tuple[str, str], Event] = field(default_factory=dict)
    quarantine: dict[tuple[str, str], QuarantinedRow] = field(default_factory=dict)
    files: dict[str, ImportedFile] = field(default_factory=dict)
    commits: int = 0

    def find_import(self, sha256: str) -> ImportedFile | None:
        return self.files.get(sha256)

    def known_units(self) -> frozenset[str]:
        return frozenset(self.units)

    def known_staff(self) -> frozenset[str]:
        return frozenset(self.staff)

    def commit(self, batch: ImportBatch) -> CommitResult:
        written = unchanged = 0
        for unit in batch.units:
            written, unchanged = _upsert(self.units, unit, written, unchanged)
        for staff in batch.staff:
            written, unchanged = _upsert(self.staff, staff, written, unchanged)
        for assignment in batch.assignments:
            written, unchanged = _upsert(self.assignments, assignment, written, unchanged)
        for event in batch.events:
            if event.key in self.events:
                unchanged += 1
            else:
                self.events[event.key] = event
                written += 1
        for row in batch.quarantined:
            self.quarantine.setdefault((row.file, row.row_hash), row)
        self.files[batch.file.sha256] = batch.file
        self.commits += 1
        return CommitResult(written, unchanged)


def _upsert(table: dict[str, Keyed[T]], row: Keyed[T], written: int, unchanged: int) -> tuple[int, int]:
    current = table.get(row.key)
    if current is not None and current.row_hash == row.row_hash:
        return written, unchanged + 1
    table[row.key] = row
    return written + 1, unchanged
