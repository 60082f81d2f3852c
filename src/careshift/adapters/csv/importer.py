"""Import one CSV file: read it, hold every row to its contract, and commit the outcome.

The import is a pure decision (which rows become which records and events, which go to
quarantine and why) followed by :func:`commit`, which writes through two ports: the
store (:class:`careshift.service.ports.Store`: event log, roster projection, quarantine)
and the reference data (:class:`careshift.service.registry.ReferenceData`: units, staff
records, shift times, imported files). Idempotency has two layers:

* the file: its SHA-256 is recorded with the commit; the same bytes again are skipped whole;
* the row: every record carries a stable hash of its content and a natural key, and every
  event the idempotency key ``("csv:<file name>", <row hash>)``, so a re-sent file that
  overlaps an earlier one writes only the rows that are new or changed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

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
from careshift.domain.workforce import Unit
from careshift.service.ports import InboundMessage, QuarantineRecord, RosterEntry, Store
from careshift.service.quality import ROSTER_SOURCE
from careshift.service.registry import ImportedFile, Keyed, ReferenceData, StaffRecord, TimedAssignment, Written

MAX_NAME = 180
"""Longest file name: ``csv:<name>`` and ``<name>:<line>`` must fit the store's 200-character keys."""


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

    def to_record(self, now: datetime) -> QuarantineRecord:
        """The store's quarantine record: channel ``csv/<kind>``, the row's cells as payload."""
        payload = json.dumps({"file": self.file, "line": self.line, "cells": dict(self.cells)}, sort_keys=True)
        return QuarantineRecord(
            source=f"csv/{self.kind}",
            reason=self.reason,
            received_at=now,
            location=self.location,
            code=(self.problems[0].rule or "schema")[:32] if self.problems else "schema",
            source_system=f"csv:{self.file}",
            record_ref=f"{self.file}:{self.line}",
            payload=payload.encode(),
        )


@dataclass(frozen=True)
class ImportBatch:
    """Everything one file import writes."""

    file: ImportedFile
    units: tuple[Keyed[Unit], ...] = ()
    staff: tuple[Keyed[StaffRecord], ...] = ()
    shifts: tuple[Keyed[TimedAssignment], ...] = ()
    events: tuple[Event, ...] = ()
    quarantined: tuple[QuarantinedRow, ...] = ()


# ROSTER_SOURCE ("csv/roster") is one source system for every roster file, so that a corrected
# roster file updates the assignments of the earlier one (keyed by staff and start) instead of
# adding to them; the quality gate joins shift times on it.


def commit(batch: ImportBatch, store: Store, reference: ReferenceData) -> Written:
    """Write ``batch``: reference data by row hash, roster into the store's projection, events
    into the log (the file hash as message id), bad rows into quarantine, and the file last.

    Each step is idempotent, and the file is recorded only after all of them, so an import
    that dies half-way is completed, not duplicated, by running it again.
    """
    written = unchanged = 0
    for outcome in (
        reference.put_units(batch.units),
        reference.put_staff(batch.staff),
        reference.put_shifts(batch.shifts),
    ):
        written, unchanged = written + outcome.written, unchanged + outcome.unchanged
    if batch.shifts:
        store.put_roster(
            RosterEntry(
                ROSTER_SOURCE,
                keyed.key,
                keyed.value.assignment.staff,
                keyed.value.assignment.day,
                keyed.value.assignment.shift,
                keyed.value.assignment.unit,
                keyed.value.assignment.skill,
            )
            for keyed in batch.shifts
        )
    if batch.events:
        message = InboundMessage(
            f"csv:{batch.file.name}", batch.file.sha256, f"csv:{batch.file.kind}", batch.file.imported_at
        )
        result = store.append(batch.events, message)
        written, unchanged = written + len(result.appended), unchanged + len(result.duplicates)
    if batch.quarantined:
        store.quarantine_many(row.to_record(batch.file.imported_at) for row in batch.quarantined)
    reference.record_import(batch.file)
    return Written(written, unchanged)


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
    source = f"csv:{document.name}"
    units: list[Keyed[Unit]] = []
    staff: list[Keyed[StaffRecord]] = []
    shifts: list[Keyed[TimedAssignment]] = []
    events: list[Event] = []
    for keyed in plan.records:
        record, key, row_hash, line = keyed.value, keyed.key, keyed.row_hash, keyed.line
        if isinstance(record, UnitRow):
            units.append(Keyed(key, row_hash, record.unit, line))
        elif isinstance(record, StaffRow):
            staff.append(Keyed(key, row_hash, StaffRecord(record.staff, record.updated_at, source), line))
        elif isinstance(record, RosterRow):
            timed = TimedAssignment(record.assignment, record.interval.start, record.interval.end, source)
            shifts.append(Keyed(key, row_hash, timed, line))
        elif isinstance(record, CensusRow):
            events.append(census_event(record, source, row_hash, now))
        elif isinstance(record, CalloutRow):
            events.append(callout_event(record, source, row_hash, now))
    return ImportBatch(
        file=ImportedFile(document.name, document.sha256, contract.kind.value, contract.id, now, len(document.rows)),
        units=tuple(units),
        staff=tuple(staff),
        shifts=tuple(shifts),
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
    store: Store,
    reference: ReferenceData,
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
    if not name or len(name) > MAX_NAME:
        raise DataContractError(
            f"the file name has {len(name)} characters; rename the file to 1..{MAX_NAME} characters "
            "(it becomes the event source csv:<name>)",
            source=name[:60] or "(unnamed)",
        )
    document = read_csv(data, name)
    contract = choose_contract(document, kind, version)
    earlier = reference.find_import(document.sha256)
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
        known_units=frozenset(unit.id for unit in reference.units()) if kind is not FileKind.UNITS else None,
        known_staff=(
            frozenset(record.staff.id for record in reference.staff())
            if kind in (FileKind.ROSTER, FileKind.CALLOUTS)
            else None
        ),
    )
    plan = _plan(document, contract, context)
    batch = _batch(plan, now)
    result = commit(batch, store, reference)
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
    store: Store,
    reference: ReferenceData,
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
    return import_csv(data, path.name, kind, store, reference, now=now, version=version, horizon=horizon)
