"""Import one CSV file: read it, hold every row to its contract, and commit the outcome.

The import is a pure decision (:func:`plan_import`: which rows become which records and
events, which go to quarantine and why) followed by one call to the store port
(:class:`CsvImportStore.commit`), which writes everything in one transaction. Idempotency
has two layers:

* the file: its SHA-256 is recorded with the commit; the same bytes again are skipped whole;
* the row: every record carries a stable hash of its content and a natural key, and every
  event the idempotency key ``("csv:<file name>", <row hash>)``, so a re-sent file that
  overlaps an earlier one writes only the rows that are new or changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from careshift.adapters.csv.contracts import (
    CalloutRow,
    CensusRow,
    CsvRecord,
    RosterRow,
    StaffRow,
    UnitRow,
    contract_for,
)
from careshift.adapters.csv.reading import CsvDocument, CsvRow, read_csv
from careshift.adapters.csv.schema import AnyContract, FileKind, ImportContext, Problem
from careshift.domain.errors import DataContractError, DomainError, InputError
from careshift.domain.events import CensusChanged, Event, StaffCalledOut
from careshift.domain.time import Horizon, require_aware

T = TypeVar("T")


@dataclass(frozen=True)
class Keyed(Generic[T]):
    """A record with its natural key and the hash of the row it came from."""

    key: str
    row_hash: str
    value: T
    line: int


@dataclass(frozen=True)
class QuarantinedRow:
    """A row kept out of the store, with where it was and how to fix it."""

    file: str
    line: int
    row: int
    kind: str
    contract: str
    problems: tuple[Problem, ...]
    cells: Mapping[str, str]
    row_hash: str

    @property
    def reason(self) -> str:
        """Every problem of the row, in one line an operator can act on."""
        return " | ".join(str(problem) for problem in self.problems)

    @property
    def location(self) -> str:
        return f"line {self.line} (row {self.row})"


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
class ImportBatch:
    """Everything one file import writes, committed in one transaction."""

    file: ImportedFile
    units: tuple[Keyed[UnitRow], ...] = ()
    staff: tuple[Keyed[StaffRow], ...] = ()
    assignments: tuple[Keyed[RosterRow], ...] = ()
    events: tuple[Event, ...] = ()
    quarantined: tuple[QuarantinedRow, ...] = ()

    @property
    def records(self) -> int:
        return len(self.units) + len(self.staff) + len(self.assignments) + len(self.events)


@dataclass(frozen=True)
class CommitResult:
    """What the store did with a batch: ``written`` records/events that were new or changed,
    ``unchanged`` ones it already held with the same content."""

    written: int
    unchanged: int


class CsvImportStore(Protocol):
    """The port the CSV importer writes through (the SQL store and an in-memory fake)."""

    def find_import(self, sha256: str) -> ImportedFile | None:
        """The earlier import of a file with these exact bytes, if any."""
        ...

    def known_units(self) -> frozenset[str]:
        """Ids of the units the store knows."""
        ...

    def known_staff(self) -> frozenset[str]:
        """Ids of the staff the store knows."""
        ...

    def commit(self, batch: ImportBatch) -> CommitResult:
        """Write the batch in one transaction: upsert records whose row hash changed, append
        events not yet in the log (by key), quarantine rows, and record the file."""
        ...


@dataclass(frozen=True)
class ImportOutcome:
    """The result an operator reads: counts, and every quarantined row with its reason."""

    file: str
    sha256: str
    kind: str
    contract: str
    rows: int
    imported: int
    skipped: int
    quarantined: tuple[QuarantinedRow, ...]
    already_imported: ImportedFile | None = None

    def to_json(self) -> dict[str, object]:
        """A JSON-ready view (for ``--json``)."""
        return {
            "file": self.file,
            "sha256": self.sha256,
            "kind": self.kind,
            "contract": self.contract,
            "rows": self.rows,
            "imported": self.imported,
            "skipped": self.skipped,
            "quarantined": len(self.quarantined),
            "already_imported_at": self.already_imported.imported_at.isoformat() if self.already_imported else None,
            "quarantined_rows": [
                {"line": row.line, "row": row.row, "reason": row.reason, "cells": dict(row.cells)}
                for row in self.quarantined
            ],
        }


@dataclass
class _Plan:
    """A decided import, before the store has been asked anything but its registries."""

    document: CsvDocument
    contract: AnyContract
    records: list[Keyed[CsvRecord]] = field(default_factory=list)
    quarantined: list[QuarantinedRow] = field(default_factory=list)
    duplicates: int = 0


def choose_contract(document: CsvDocument, kind: FileKind, version: str | None) -> AnyContract:
    """The contract for ``document``: the header's declaration, the caller's ``version``, or
    the kind's default; a declaration that contradicts the caller is an error."""
    if document.declared_kind is not None and document.declared_kind != kind.value:
        raise DataContractError(
            f"the header declares contract {document.declared_kind}/{document.declared_version} "
            f"but the file is imported as {kind.value}; use --kind {document.declared_kind} or fix the header",
            source=document.name,
            location="header",
        )
    declared = document.declared_version
    if declared is not None and version is not None and declared != version:
        raise DataContractError(
            f"the header declares {kind.value}/{declared} but --contract asks for {version}; "
            "drop --contract or fix the header",
            source=document.name,
            location="header",
        )
    contract = contract_for(kind, declared or version, source=document.name)
    unknown = [column for column in document.columns if column not in contract.by_name]
    missing = [column for column in contract.required if column not in document.columns]
    if unknown or missing:
        parts = []
        if missing:
            parts.append(f"misses required columns {', '.join(missing)}")
        if unknown:
            parts.append(f"has columns {', '.join(unknown)} that {contract.id} does not define")
        raise DataContractError(
            f"the header {' and '.join(parts)}; contract {contract.id} has columns "
            f"{', '.join(c.name + ('*' if c.required else '') for c in contract.columns)} (* required)",
            source=document.name,
            location="header",
        )
    return contract


def _quarantine(
    document: CsvDocument, contract: AnyContract, row: CsvRow, problems: Sequence[Problem]
) -> QuarantinedRow:
    return QuarantinedRow(
        file=document.name,
        line=row.line,
        row=row.number,
        kind=contract.kind.value,
        contract=contract.id,
        problems=tuple(problems),
        cells=dict(row.cells),
        row_hash=row.content_hash(contract.kind.value, tuple(contract.by_name)),
    )


def _plan(document: CsvDocument, contract: AnyContract, context: ImportContext) -> _Plan:
    plan = _Plan(document, contract)
    seen: dict[str, Keyed[CsvRecord]] = {}
    columns = tuple(contract.by_name)
    for row in document.rows:
        if row.problem is not None:
            plan.quarantined.append(
                _quarantine(document, contract, row, [Problem(row.problem, row.fix or "correct the row")])
            )
            continue
        try:
            record, problems = contract.read(row.cells, context)
        except (DomainError, InputError) as exc:
            # A domain invariant the contract did not anticipate: still a row problem.
            record, problems = None, (Problem(str(exc), "correct the row so that it satisfies the rule above"),)
        if record is None:
            plan.quarantined.append(_quarantine(document, contract, row, problems))
            continue
        keyed: Keyed[CsvRecord] = Keyed(
            contract.key(record), row.content_hash(contract.kind.value, columns), record, row.line
        )
        earlier = seen.get(keyed.key)
        if earlier is None:
            seen[keyed.key] = keyed
            plan.records.append(keyed)
        elif earlier.row_hash == keyed.row_hash:
            plan.duplicates += 1
        else:
            plan.quarantined.append(
                _quarantine(
                    document,
                    contract,
                    row,
                    [
                        Problem(
                            f"repeats the key {keyed.key} of line {earlier.line} with different values",
                            "keep one row per key in the file",
                            rule="unique_key",
                        )
                    ],
                )
            )
    return plan


def _batch(plan: _Plan, now: datetime) -> ImportBatch:
    document, contract = plan.document, plan.contract
    source_system = f"csv:{document.name}"
    units: list[Keyed[UnitRow]] = []
    staff: list[Keyed[StaffRow]] = []
    assignments: list[Keyed[RosterRow]] = []
    events: list[Event] = []
    for keyed in plan.records:
        record = keyed.value
        if isinstance(record, UnitRow):
            units.append(Keyed(keyed.key, keyed.row_hash, record, keyed.line))
        elif isinstance(record, StaffRow):
            staff.append(Keyed(keyed.key, keyed.row_hash, record, keyed.line))
        elif isinstance(record, RosterRow):
            assignments.append(Keyed(keyed.key, keyed.row_hash, record, keyed.line))
        elif isinstance(record, CensusRow):
            events.append(census_event(record, source_system, keyed.row_hash, now))
        elif isinstance(record, CalloutRow):
            events.append(callout_event(record, source_system, keyed.row_hash, now))
    return ImportBatch(
        file=ImportedFile(document.name, document.sha256, contract.kind.value, contract.id, now, len(document.rows)),
        units=tuple(units),
        staff=tuple(staff),
        assignments=tuple(assignments),
        events=tuple(events),
        quarantined=tuple(plan.quarantined),
    )


def census_event(row: CensusRow, source_system: str, source_id: str, now: datetime) -> CensusChanged:
    """The canonical event for a census row (a snapshot of the unit's count at ``row.at``)."""
    return CensusChanged(
        occurred_at=row.at,
        recorded_at=now,
        source_system=source_system,
        source_id=source_id,
        entity_id=row.unit,
        unit=row.unit,
        patients=row.patients,
    )


def callout_event(row: CalloutRow, source_system: str, source_id: str, now: datetime) -> StaffCalledOut:
    """The canonical event for a call-out row (it occurred when it was reported)."""
    return StaffCalledOut(
        occurred_at=row.reported_at,
        recorded_at=now,
        source_system=source_system,
        source_id=source_id,
        entity_id=row.staff,
        unit=row.unit,
        day=row.day,
        shift=row.shift,
        reason=row.reason,
    )


def import_csv(
    data: bytes,
    name: str,
    kind: FileKind,
    store: CsvImportStore,
    *,
    now: datetime,
    version: str | None = None,
    horizon: Horizon | None = None,
) -> ImportOutcome:
    """Import the bytes of file ``name`` as ``kind`` into ``store`` at time ``now``.

    Good rows are written, bad rows quarantined with their line and a reason that says how
    to fix them; the same bytes a second time change nothing. Raises
    :class:`DataContractError` only when the file as a whole cannot be read (no header,
    columns the contract does not know, unknown contract version).
    """
    require_aware(now, "import time")
    document = read_csv(data, name)
    contract = choose_contract(document, kind, version)
    earlier = store.find_import(document.sha256)
    if earlier is not None:
        return ImportOutcome(
            document.name,
            document.sha256,
            kind.value,
            contract.id,
            len(document.rows),
            imported=0,
            skipped=len(document.rows),
            quarantined=(),
            already_imported=earlier,
        )
    context = ImportContext(
        now=now,
        horizon=horizon or contract.horizon_for(now),
        known_units=store.known_units() if kind is not FileKind.UNITS else None,
        known_staff=store.known_staff() if kind in (FileKind.ROSTER, FileKind.CALLOUTS) else None,
    )
    plan = _plan(document, contract, context)
    batch = _batch(plan, now)
    result = store.commit(batch)
    return ImportOutcome(
        document.name,
        document.sha256,
        kind.value,
        contract.id,
        len(document.rows),
        imported=result.written,
        skipped=result.unchanged + plan.duplicates,
        quarantined=batch.quarantined,
    )


def import_csv_file(
    path: Path,
    kind: FileKind,
    store: CsvImportStore,
    *,
    now: datetime,
    version: str | None = None,
    horizon: Horizon | None = None,
) -> ImportOutcome:
    """:func:`import_csv` on a file on disk; the event source is ``csv:<file name>``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataContractError(f"cannot be read ({exc.strerror}); check the path", source=str(path)) from exc
    return import_csv(data, path.name, kind, store, now=now, version=version, horizon=horizon)
