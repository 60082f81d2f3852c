"""Splitting CSV files into numbered rows, and reading typed cells."""

from __future__ import annotations

from datetime import date

from careshift.adapters.csv.contracts import CENSUS_V1 as CENSUS
from careshift.adapters.csv.contracts import STAFF_V1, CensusRow
from careshift.adapters.csv.reading import read_csv
from careshift.adapters.csv.schema import FileKind, ImportContext, RowReader
from careshift.domain.time import Horizon
from tests.unit.csv_builders import NOW, csv_bytes, run, seeded


def test_rows_carry_the_physical_line_they_start_on() -> None:
    data = b'# contract: staff/1\n\nstaff_id,name,roles\r\nN1,"Ada\nLovelace",RN\r\n\r\nN2,Ben,LPN\n'
    document = read_csv(data, "staff.csv")
    assert (document.declared_kind, document.declared_version) == ("staff", "1")
    assert document.columns == ("staff_id", "name", "roles")
    assert [(row.line, row.number) for row in document.rows] == [(4, 1), (7, 2)]
    assert document.rows[0].cells["name"] == "Ada\nLovelace"


def test_a_byte_order_mark_and_upper_case_header_are_accepted() -> None:
    document = read_csv("\ufeffStaff_ID, Roles\nN1,RN\n".encode(), "x.csv")
    assert document.columns == ("staff_id", "roles") and document.declared_kind is None


def test_unsplittable_wrong_width_and_non_utf8_rows_become_row_problems() -> None:
    data = b'staff_id,roles\nN1,"RN"x\nN2,RN,extra\nN3,\xff\xfe\nN4,RN\n'
    rows = read_csv(data, "x.csv").rows
    assert [(row.line, row.problem is None) for row in rows] == [(2, False), (3, False), (4, False), (5, True)]
    assert "cannot be split" in (rows[0].problem or "") and rows[0].cells == {"_raw": 'N1,"RN"x'}
    assert "has 3 cells but the header has 2" in (rows[1].problem or "")
    assert "not UTF-8" in (rows[2].problem or "") and rows[2].cells["roles"] == "\ufffd\ufffd"


def test_a_mixed_file_keeps_its_good_rows_around_broken_ones() -> None:
    data = b'staff_id,roles\nN1,"RN"x\nN2,\xff\nN5,RN\n'
    outcome = run(data, FileKind.STAFF, seeded())
    assert outcome.imported == 1 and [row.line for row in outcome.quarantined] == [2, 3]


def test_content_hash_ignores_whitespace_and_column_order_but_not_values() -> None:
    a = read_csv(csv_bytes("unit,at,patients", "4W, 2026-03-01T03:00:00-08:00 ,24"), "a.csv").rows[0]
    b = read_csv(csv_bytes("patients,at,unit", "24,2026-03-01T03:00:00-08:00,4W"), "b.csv").rows[0]
    c = read_csv(csv_bytes("unit,at,patients", "4W,2026-03-01T03:00:00-08:00,25"), "a.csv").rows[0]
    columns = tuple(CENSUS.by_name)
    assert a.content_hash("census", columns) == b.content_hash("census", columns)
    assert a.content_hash("census", columns) != c.content_hash("census", columns)


def test_credentials_parse_codes_and_expiry_dates() -> None:
    reader = RowReader(STAFF_V1.by_name, {"credentials": "RN-CA:2027-06-30; BLS"})
    credentials = reader.credentials("credentials")
    assert reader.ok
    assert [(c.code, c.expires) for c in credentials] == [("BLS", None), ("RN-CA", date(2027, 6, 30))]

    bad = RowReader(STAFF_V1.by_name, {"credentials": "RN-CA:2027-02-30"})
    assert bad.credentials("credentials") == ()
    assert "is not a calendar date" in str(bad.problems[0]) and "CODE:YYYY-MM-DD" in str(bad.problems[0])


def test_contract_read_returns_a_typed_record_or_problems_never_both() -> None:
    context = ImportContext(now=NOW, horizon=Horizon(date(2026, 2, 1), 40), known_units=frozenset({"4W"}))
    record, problems = CENSUS.read({"unit": "4W", "at": "2026-03-01T03:00:00-08:00", "patients": "7"}, context)
    assert isinstance(record, CensusRow) and problems == ()
    census = record.to_census()
    assert (census.unit, census.start.isoformat(), census.patients) == ("4W", "2026-03-01T03:00:00-08:00", 7)
    record, problems = CENSUS.read({"unit": "4W", "at": "yesterday", "patients": "seven"}, context)
    assert record is None and [p.column for p in problems] == ["at", "patients"]
