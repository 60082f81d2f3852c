"""Reference data from batch files on SQL: the :class:`~careshift.service.registry.ReferenceData` port.

Tables (created by migration ``0002``):

- ``import_file``: every imported file by SHA-256 of its bytes (name, kind, contract, time,
  rows), so the same file is not imported twice;
- ``unit_record``, ``staff_record``, ``shift_time``: units, staff records (with the source's
  ``updated_at``) and the real start/end of rostered shifts, each with the hash of the row
  it came from; an upsert skips rows whose hash is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, Date, Engine, Integer, String, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from careshift.adapters.store.database import guarded_session
from careshift.adapters.store.schema import KEY, Base, UtcDateTime
from careshift.domain.schedule import Assignment
from careshift.domain.workforce import Credential, Staff, Unit, UnitType
from careshift.service.registry import ImportedFile, Keyed, StaffRecord, TimedAssignment, Written

HASH = String(64)
_CHUNK = 500


class ImportFileRow(Base):
    __tablename__ = "import_file"

    sha256: Mapped[str] = mapped_column(HASH, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    contract: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime())
    rows: Mapped[int] = mapped_column(Integer())


class UnitRecordRow(Base):
    __tablename__ = "unit_record"

    unit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_type: Mapped[str] = mapped_column(String(32))
    timezone: Mapped[str] = mapped_column(String(64))
    beds: Mapped[int] = mapped_column(Integer())
    row_hash: Mapped[str] = mapped_column(HASH)


class StaffRecordRow(Base):
    __tablename__ = "staff_record"

    staff_id: Mapped[str] = mapped_column(KEY, primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON())
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    source: Mapped[str] = mapped_column(String(255))
    row_hash: Mapped[str] = mapped_column(HASH)


class ShiftTimeRow(Base):
    __tablename__ = "shift_time"

    key: Mapped[str] = mapped_column(KEY, primary_key=True)
    staff: Mapped[str] = mapped_column(KEY)
    day: Mapped[date] = mapped_column(Date())
    shift: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str | None] = mapped_column(String(64))
    skill: Mapped[str | None] = mapped_column(String(64))
    starts_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    source: Mapped[str] = mapped_column(String(255))
    row_hash: Mapped[str] = mapped_column(HASH)


def staff_to_json(staff: Staff) -> dict[str, Any]:
    """A JSON-ready form of a staff member (sorted lists, ISO dates)."""
    return {
        "name": staff.name,
        "roles": sorted(staff.roles),
        "skills": sorted(staff.skills),
        "credentials": [[c.code, c.expires.isoformat() if c.expires else None] for c in staff.credentials],
        "contract_id": staff.contract_id,
        "home_unit": staff.home_unit,
        "float_units": sorted(staff.float_units),
        "seniority": staff.seniority,
    }


def staff_from_json(staff_id: str, data: dict[str, Any]) -> Staff:
    """The inverse of :func:`staff_to_json`."""
    return Staff(
        id=staff_id,
        name=str(data.get("name", "")),
        roles=frozenset(data.get("roles", ())),
        skills=frozenset(data.get("skills", ())),
        credentials=tuple(
            Credential(code, date.fromisoformat(expires) if expires else None)
            for code, expires in data.get("credentials", ())
        ),
        contract_id=str(data.get("contract_id", "default")),
        home_unit=data.get("home_unit"),
        float_units=frozenset(data.get("float_units", ())),
        seniority=int(data.get("seniority", 0)),
    )


M = TypeVar("M", bound=Base)
T = TypeVar("T")


class SqlReferenceData:
    """Reference data in the store's database (same engine as :class:`SqlStore`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with guarded_session(
            self.engine, write=True, store="the store", then="nothing was written, run the import again"
        ) as session:
            yield session

    def _upsert(self, model: type[M], rows: Sequence[Keyed[T]], fill: Any) -> Written:
        # One query per chunk of keys and no autoflush: a per-row ``session.get`` made a
        # 20,000-row roster take ~25 s on SQLite.
        key_column = inspect(model).primary_key[0]
        written = unchanged = 0
        with self._transaction() as session, session.no_autoflush:
            current: dict[str, M] = {}
            keys = [row.key for row in rows]
            for first in range(0, len(keys), _CHUNK):
                chunk = keys[first : first + _CHUNK]
                for found in session.scalars(select(model).where(key_column.in_(chunk))):
                    current[getattr(found, str(key_column.key))] = found
            for row in rows:
                target = current.get(row.key)
                if target is not None and target.row_hash == row.row_hash:  # type: ignore[attr-defined]
                    unchanged += 1
                    continue
                if target is None:
                    target = model()
                    session.add(target)
                    current[row.key] = target
                fill(target, row)
                written += 1
        return Written(written, unchanged)

    def find_import(self, sha256: str) -> ImportedFile | None:
        with Session(self.engine) as session:
            row = session.get(ImportFileRow, sha256)
            if row is None:
                return None
            return ImportedFile(row.name, row.sha256, row.kind, row.contract, row.imported_at, row.rows)

    def record_import(self, file: ImportedFile) -> None:
        with self._transaction() as session:
            if session.get(ImportFileRow, file.sha256) is None:
                session.add(
                    ImportFileRow(
                        sha256=file.sha256,
                        name=file.name[:255],
                        kind=file.kind,
                        contract=file.contract,
                        imported_at=file.imported_at,
                        rows=file.rows,
                    )
                )

    def put_units(self, rows: Sequence[Keyed[Unit]]) -> Written:
        def fill(target: UnitRecordRow, row: Keyed[Unit]) -> None:
            unit = row.value
            target.unit_id, target.name, target.unit_type = unit.id, unit.name, unit.unit_type.value
            target.timezone, target.beds, target.row_hash = unit.timezone, unit.beds, row.row_hash

        return self._upsert(UnitRecordRow, rows, fill)

    def units(self) -> list[Unit]:
        with Session(self.engine) as session:
            rows = session.scalars(select(UnitRecordRow).order_by(UnitRecordRow.unit_id)).all()
            return [Unit(r.unit_id, r.name, UnitType(r.unit_type), r.timezone, r.beds) for r in rows]

    def put_staff(self, rows: Sequence[Keyed[StaffRecord]]) -> Written:
        def fill(target: StaffRecordRow, row: Keyed[StaffRecord]) -> None:
            target.staff_id, target.payload = row.value.staff.id, staff_to_json(row.value.staff)
            target.updated_at, target.source = row.value.updated_at, row.value.source[:255]
            target.row_hash = row.row_hash

        return self._upsert(StaffRecordRow, rows, fill)

    def staff(self) -> list[StaffRecord]:
        with Session(self.engine) as session:
            rows = session.scalars(select(StaffRecordRow).order_by(StaffRecordRow.staff_id)).all()
            return [StaffRecord(staff_from_json(r.staff_id, r.payload), r.updated_at, r.source) for r in rows]

    def put_shifts(self, rows: Sequence[Keyed[TimedAssignment]]) -> Written:
        def fill(target: ShiftTimeRow, row: Keyed[TimedAssignment]) -> None:
            a = row.value.assignment
            target.key, target.staff, target.day, target.shift = row.key, a.staff, a.day, a.shift
            target.unit, target.skill = a.unit, a.skill
            target.starts_at, target.ends_at = row.value.start, row.value.end
            target.source, target.row_hash = row.value.source[:255], row.row_hash

        return self._upsert(ShiftTimeRow, rows, fill)

    def shifts(self, first_day: date, last_day: date) -> list[Keyed[TimedAssignment]]:
        with Session(self.engine) as session:
            rows = session.scalars(
                select(ShiftTimeRow)
                .where(ShiftTimeRow.day >= first_day, ShiftTimeRow.day <= last_day)
                .order_by(ShiftTimeRow.day, ShiftTimeRow.staff, ShiftTimeRow.key)
            ).all()
            return [
                Keyed(
                    r.key,
                    r.row_hash,
                    TimedAssignment(
                        Assignment(r.staff, r.day, r.shift, r.skill, r.unit), r.starts_at, r.ends_at, r.source
                    ),
                )
                for r in rows
            ]
