"""Must-show (issue 4, CSV): a file mixing good and bad rows imports the good ones,
quarantines the bad ones with row number and reason, and a second import is a no-op —
on the in-memory fake, SQLite and real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from careshift.adapters.csv.importer import import_csv_file
from careshift.adapters.csv.memory import InMemoryReferenceData
from careshift.adapters.csv.schema import FileKind
from careshift.adapters.store import MemoryStore, SqlStore
from careshift.adapters.store.imports import SqlReferenceData
from careshift.domain.events import CensusChanged, StaffCalledOut
from careshift.service.ports import Store
from careshift.service.registry import ReferenceData
from tests.integration.store_support import postgres_schema_url, sqlite_url

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

FILES = {
    "units.csv": """# contract: units/1
unit_id,name,unit_type,timezone,beds
4W,4 West,med_surg,America/Los_Angeles,28
ICU,Intensive Care,icu,America/Los_Angeles,12
""",
    "staff.csv": """# contract: staff/2
staff_id,name,roles,skills,credentials,home_unit,float_units,seniority,updated_at
N1,Ada,RN;CHARGE,med_surg;preceptor,RN-CA:2027-06-30;BLS,4W,ICU,12,2026-02-01T09:00:00-08:00
N2,Ben,LPN,med_surg,,4W,,3,2026-02-10T09:00:00-08:00
N3,Cy,CNA,,BLS:2026-13-01,4W,,1,2026-02-10T09:00:00-08:00
N4,Di,CHARGE,,,4W,,1,2026-02-10T09:00:00-08:00
""",
    "roster.csv": """# contract: roster/1
staff_id,unit,shift,start,end,skill
N1,4W,D,2026-03-02T07:00:00-08:00,2026-03-02T19:00:00-08:00,med_surg
N2,4W,N,2026-03-02T19:00:00-08:00,2026-03-02T07:00:00-08:00,
N9,4W,D,2026-03-03T07:00:00-08:00,2026-03-03T19:00:00-08:00,
N2,4W,N,2026-03-03T19:00:00-08:00,2026-03-04T07:00:00-08:00,
""",
    "census.csv": """# contract: census/1
unit,at,patients,acuity_extra_staff
4W,2026-03-01T02:00:00-08:00,24,0
4W,2026-03-01T03:00:00-08:00,-1,0
ICU,2026-03-01T03:00:00-08:00,9,1
5E,2026-03-01T03:00:00-08:00,9,0
""",
    "callouts.csv": """# contract: callouts/1
staff_id,day,reported_at,shift,unit,reason
N2,2026-03-03,2026-03-01T03:10:00-08:00,N,4W,sick
N1,2026-03-03,2026-03-01T03:10:00-08:00,D,4W,hangover
""",
}

# file -> (imported, quarantined lines with a phrase of their reason)
EXPECTED = {
    "units.csv": (2, {}),
    "staff.csv": (2, {5: "not a calendar date", 6: "CHARGE without RN"}),
    "roster.csv": (2, {4: "before it starts", 5: "staff 'N9' is not known"}),
    "census.csv": (2, {4: "-1 is below the minimum 0", 6: "unit '5E' is not known"}),
    "callouts.csv": (1, {4: "'hangover' is not a known code"}),
}


@dataclass
class Backend:
    store: Store
    reference: ReferenceData


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "memory":
        yield Backend(MemoryStore(), InMemoryReferenceData())
        return
    if request.param == "sqlite":
        sql = SqlStore(sqlite_url(tmp_path))
        yield Backend(sql, SqlReferenceData(sql.engine))
        sql.close()
        return
    with postgres_schema_url() as url:
        sql = SqlStore(url)
        yield Backend(sql, SqlReferenceData(sql.engine))
        sql.close()


def write_files(directory: Path) -> dict[str, Path]:
    paths = {}
    for name, text in FILES.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        paths[name] = path
    return paths


def state(backend: Backend) -> object:
    counts = backend.store.counts()
    return (
        counts.total,
        counts.by_kind,
        counts.messages,
        [(q.record.location, q.attempts) for q in backend.store.quarantined(limit=1000)],
        backend.store.roster(date(2026, 1, 1), date(2026, 12, 31)),
        backend.reference.units(),
        backend.reference.staff(),
        backend.reference.shifts(date(2026, 1, 1), date(2026, 12, 31)),
    )


def test_mixed_files_import_good_rows_quarantine_bad_ones_and_reimport_is_a_no_op(
    backend: Backend, tmp_path: Path
) -> None:
    paths = write_files(tmp_path)
    for name, path in paths.items():
        outcome = import_csv_file(path, FileKind(name.removesuffix(".csv")), backend.store, backend.reference, now=NOW)
        imported, bad = EXPECTED[name]
        assert (outcome.imported, outcome.skipped) == (imported, 0), name
        assert {row.line: row.reason for row in outcome.quarantined}.keys() == bad.keys(), name
        for row in outcome.quarantined:
            assert bad[row.line] in row.reason and "fix: " in row.reason
            assert row.row == row.line - 2  # one comment line and the header precede the rows

    # What the store holds after the first import.
    assert [u.id for u in backend.reference.units()] == ["4W", "ICU"]
    assert [r.staff.id for r in backend.reference.staff()] == ["N1", "N2"]
    roster = backend.store.roster(date(2026, 3, 1), date(2026, 3, 31))
    assert [(e.staff, e.day, e.shift) for e in roster] == [("N1", date(2026, 3, 2), "D"), ("N2", date(2026, 3, 3), "N")]
    shifts = backend.reference.shifts(date(2026, 3, 1), date(2026, 3, 31))
    assert [s.value.start for s in shifts] == [
        datetime(2026, 3, 2, 15, 0, tzinfo=UTC),
        datetime(2026, 3, 4, 3, 0, tzinfo=UTC),
    ]
    events = [stored.event for stored in backend.store.read()]
    census = sorted((e.unit, e.patients) for e in events if isinstance(e, CensusChanged))
    assert census == [("4W", 24), ("ICU", 9)]
    [callout] = [e for e in events if isinstance(e, StaffCalledOut)]
    assert (callout.entity_id, callout.source_system) == ("N2", "csv:callouts.csv")
    quarantined = backend.store.quarantined(limit=1000)
    assert len(quarantined) == 7
    by_place = {(q.record.source, q.record.location): q.record for q in quarantined}
    record = by_place[("csv/roster", "line 5 (row 3)")]
    assert record.source_system == "csv:roster.csv" and "N9" in record.reason and record.code == "staff_known"
    assert b'"N9"' in (record.payload or b"")
    open_needs = backend.store.open_needs(date(2026, 3, 1), date(2026, 3, 31))
    assert [(n.staff, n.day, n.shift) for n in open_needs] == [("N2", date(2026, 3, 3), "N")]

    before = state(backend)
    for name, path in paths.items():
        again = import_csv_file(path, FileKind(name.removesuffix(".csv")), backend.store, backend.reference, now=NOW)
        assert (again.imported, again.quarantined, again.already_imported is not None) == (0, (), True)
        assert again.skipped == again.rows
    assert state(backend) == before
