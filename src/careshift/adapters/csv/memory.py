"""An in-memory :class:`~careshift.service.registry.ReferenceData` for tests and dry runs.

It keeps the same rules as the SQL tables: a row is replaced only when its row hash
changes, and files are remembered by content hash.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from careshift.domain.workforce import Unit
from careshift.service.registry import ImportedFile, Keyed, StaffRecord, TimedAssignment, Written

T = TypeVar("T")


def _upsert(table: dict[str, Keyed[T]], rows: Sequence[Keyed[T]]) -> Written:
    written = unchanged = 0
    for row in rows:
        current = table.get(row.key)
        if current is not None and current.row_hash == row.row_hash:
            unchanged += 1
        else:
            table[row.key] = row
            written += 1
    return Written(written, unchanged)


@dataclass
class InMemoryReferenceData:
    """Dictionaries standing in for the reference tables."""

    unit_rows: dict[str, Keyed[Unit]] = field(default_factory=dict)
    staff_rows: dict[str, Keyed[StaffRecord]] = field(default_factory=dict)
    shift_rows: dict[str, Keyed[TimedAssignment]] = field(default_factory=dict)
    files: dict[str, ImportedFile] = field(default_factory=dict)

    def find_import(self, sha256: str) -> ImportedFile | None:
        return self.files.get(sha256)

    def record_import(self, file: ImportedFile) -> None:
        self.files.setdefault(file.sha256, file)

    def put_units(self, rows: Sequence[Keyed[Unit]]) -> Written:
        return _upsert(self.unit_rows, rows)

    def units(self) -> list[Unit]:
        return [row.value for _, row in sorted(self.unit_rows.items())]

    def put_staff(self, rows: Sequence[Keyed[StaffRecord]]) -> Written:
        return _upsert(self.staff_rows, rows)

    def staff(self) -> list[StaffRecord]:
        return [row.value for _, row in sorted(self.staff_rows.items())]

    def put_shifts(self, rows: Sequence[Keyed[TimedAssignment]]) -> Written:
        return _upsert(self.shift_rows, rows)

    def shifts(self, first_day: date, last_day: date) -> list[Keyed[TimedAssignment]]:
        return sorted(
            (row for row in self.shift_rows.values() if first_day <= row.value.assignment.day <= last_day),
            key=lambda row: (row.value.assignment, row.key),
        )
