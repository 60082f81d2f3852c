"""The CSV importer against the in-memory store: good rows in, bad rows quarantined, no-op re-import."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from careshift.adapters.csv.memory import InMemoryReferenceData
from careshift.adapters.csv.schema import FileKind
from careshift.domain.errors import DataContractError
from careshift.domain.events import CensusChanged, StaffCalledOut
from careshift.domain.time import Horizon
from tests.unit.csv_builders import NOW, Stores, csv_bytes, run, seeded


def snapshot(stores: Stores) -> object:
    return (
        dict(stores.reference.shift_rows),
        dict(stores.reference.files),
        stores.store.quarantined(),
        stores.store.read(),
        stores.store.counts(),
    )


ROSTER_HEADER = "staff_id,unit,shift,start,end,skill"
MIXED_ROSTER = csv_bytes(
    "# contract: roster/1",
    ROSTER_HEADER,
    "N1,4W,D,2026-03-02T07:00:00-08:00,2026-03-02T19:00:00-08:00,med_surg",  # line 3: good
    "N2,4W,N,2026-03-02T19:00:00-08:00,2026-03-02T07:00:00-08:00,",  # line 4: ends before it starts
    "N9,4W,D,2026-03-03T07:00:00-08:00,2026-03-03T19:00:00-08:00,",  # line 5: unknown staff
    "N2,5E,D,2026-03-03T07:00:00-08:00,2026-03-03T19:00:00-08:00,",  # line 6: unknown unit
    "N3,4W,D,2026-03-04T07:00,2026-03-04T19:00,",  # line 7: no UTC offset
    "N2,4W,N,2026-03-03T19:00:00-08:00,2026-03-04T07:00:00-08:00,",  # line 8: good night shift
)


def test_mixed_roster_imports_good_rows_and_quarantines_bad_ones_with_line_and_fix() -> None:
    stores = seeded()
    outcome = run(MIXED_ROSTER, FileKind.ROSTER, stores, "roster.csv")

    assert (outcome.rows, outcome.imported, outcome.skipped) == (6, 2, 0)
    assert sorted(stores.reference.shift_rows) == ["N1@2026-03-02T07:00:00-08:00", "N2@2026-03-03T19:00:00-08:00"]
    night = stores.reference.shift_rows["N2@2026-03-03T19:00:00-08:00"].value
    assert night.assignment.day == date(2026, 3, 3) and night.start and night.end
    assert (night.end - night.start).total_seconds() == 12 * 3600
    roster = stores.store.roster(date(2026, 3, 1), date(2026, 3, 31))
    assert [(e.source_system, e.staff, e.day, e.shift) for e in roster] == [
        ("csv/roster", "N1", date(2026, 3, 2), "D"),
        ("csv/roster", "N2", date(2026, 3, 3), "N"),
    ]

    reasons = {row.line: row.reason for row in outcome.quarantined}
    assert sorted(reasons) == [4, 5, 6, 7]
    assert "column end" in reasons[4] and "before it starts" in reasons[4] and "next day" in reasons[4]
    assert "staff 'N9' is not known" in reasons[5] and "--kind staff" in reasons[5]
    assert "unit '5E' is not known" in reasons[6] and "--kind units" in reasons[6]
    assert "no UTC offset" in reasons[7] and "fix: write an ISO 8601 date-time with its UTC offset" in reasons[7]
    assert {row.row for row in outcome.quarantined} == {2, 3, 4, 5}
    assert all(row.file == "roster.csv" and row.contract == "roster/1" for row in outcome.quarantined)
    quarantined = stores.store.quarantined()
    assert len(quarantined) == 4
    assert {q.record.location for q in quarantined} == {
        "line 4 (row 2)",
        "line 5 (row 3)",
        "line 6 (row 4)",
        "line 7 (row 5)",
    }
    assert all(q.record.source == "csv/roster" and q.record.source_system == "csv:roster.csv" for q in quarantined)


def test_importing_the_same_file_twice_changes_nothing() -> None:
    stores = seeded()
    run(MIXED_ROSTER, FileKind.ROSTER, stores, "roster.csv")
    before = snapshot(stores)

    again = run(MIXED_ROSTER, FileKind.ROSTER, stores, "roster.csv")

    assert (again.imported, again.skipped, again.quarantined) == (0, 6, ())
    assert again.already_imported is not None and again.already_imported.imported_at == NOW
    assert snapshot(stores) == before


def test_a_resent_file_with_one_new_row_writes_only_that_row() -> None:
    stores = seeded()
    run(MIXED_ROSTER, FileKind.ROSTER, stores, "roster.csv")
    extended = MIXED_ROSTER + b"N3,4W,D,2026-03-05T07:00:00-08:00,2026-03-05T19:00:00-08:00,\n"

    outcome = run(extended, FileKind.ROSTER, stores, "roster.csv")

    assert (outcome.imported, outcome.skipped, len(outcome.quarantined)) == (1, 2, 4)
    assert len(stores.reference.shift_rows) == 3
    # the same bad rows are reported again, and the quarantine counts the second arrival
    assert [q.attempts for q in stores.store.quarantined()] == [2, 2, 2, 2]


def test_census_rows_become_census_changed_events_keyed_by_row_content() -> None:
    stores = seeded()
    data = csv_bytes(
        "unit,at,patients,acuity_extra_staff",
        "4W,2026-03-01T03:00:00-08:00,24,1",
        "ICU,2026-03-01T03:00:00-08:00,-2,",
    )
    outcome = run(data, FileKind.CENSUS, stores, "census.csv")

    assert (outcome.imported, len(outcome.quarantined)) == (1, 1)
    assert "-2 is below the minimum 0" in outcome.quarantined[0].reason
    [event] = stores.events()
    assert isinstance(event, CensusChanged)
    assert (event.unit, event.patients, event.source_system) == ("4W", 24, "csv:census.csv")
    assert event.occurred_at == datetime(2026, 3, 1, 11, 0, tzinfo=UTC) and event.recorded_at == NOW

    # The same row in a file with its columns reordered has the same idempotency key.
    reordered = csv_bytes("patients,unit,acuity_extra_staff,at", "24,4W,1,2026-03-01T03:00:00-08:00")
    again = run(reordered, FileKind.CENSUS, stores, "census.csv")
    assert (again.imported, again.skipped) == (0, 1)
    assert len(stores.events()) == 1


def test_census_in_the_future_or_before_the_horizon_is_quarantined() -> None:
    stores = seeded()
    data = csv_bytes("unit,at,patients", "4W,2026-03-02T03:00:00-08:00,20", "4W,2025-01-01T03:00:00-08:00,20")
    outcome = run(data, FileKind.CENSUS, stores)
    reasons = [row.reason for row in outcome.quarantined]
    assert "is in the future" in reasons[0]
    assert "outside the horizon 2025-12-31..2026-03-02" in reasons[1] and "--horizon-start" in reasons[1]

    wide = run(
        data,
        FileKind.CENSUS,
        Stores(reference=InMemoryReferenceData(unit_rows=seeded().reference.unit_rows)),
        horizon=Horizon(date(2024, 1, 1), 1000),
    )
    assert wide.imported == 1


def test_callouts_become_staff_called_out_events() -> None:
    stores = seeded()
    data = csv_bytes(
        "staff_id,day,reported_at,shift,unit,reason",
        "N2,2026-03-03,2026-03-01T03:10:00-08:00,D,4W,sick",
        "N2,2026-03-04,2026-03-01T03:10:00-08:00,,,flu",
    )
    outcome = run(data, FileKind.CALLOUTS, stores, "callouts.csv")
    assert outcome.imported == 1
    assert "'flu' is not a known code" in outcome.quarantined[0].reason
    assert "one of emergency, family, injury, other, sick, transport" in outcome.quarantined[0].reason
    [event] = stores.events()
    assert isinstance(event, StaffCalledOut)
    assert (event.entity_id, event.day, event.shift, event.reason) == ("N2", date(2026, 3, 3), "D", "sick")
    assert event.source_system == "csv:callouts.csv" and len(event.source_id) == 32


def test_rows_repeating_a_key_are_skipped_when_identical_and_quarantined_when_different() -> None:
    stores = seeded()
    data = csv_bytes(
        "staff_id,roles,home_unit",
        "N7,RN,4W",
        "N7,RN,4W",
        "N7,LPN,4W",
    )
    outcome = run(data, FileKind.STAFF, stores)
    assert (outcome.imported, outcome.skipped) == (1, 1)
    [duplicate] = outcome.quarantined
    assert duplicate.line == 4 and "repeats the key N7 of line 2" in duplicate.reason
    assert duplicate.problems[0].rule == "unique_key"


def test_changed_staff_rows_are_updated_and_unchanged_ones_skipped() -> None:
    stores = seeded()
    data = csv_bytes("staff_id,name,roles,home_unit", "N2,Ben,RN,4W", "N3,Cy,CNA,4W")
    run(data, FileKind.STAFF, stores)
    changed = csv_bytes("staff_id,name,roles,home_unit", "N2,Ben,RN,4W", "N3,Cy,LPN,4W", "")
    outcome = run(changed, FileKind.STAFF, stores)
    assert (outcome.imported, outcome.skipped) == (1, 1)
    assert stores.reference.staff_rows["N3"].value.staff.roles == frozenset({"LPN"})


@pytest.mark.parametrize(
    ("data", "kind", "version", "message"),
    [
        (b"", FileKind.STAFF, None, "has no header row"),
        (b"# only a comment\n", FileKind.STAFF, None, "has no header row"),
        (csv_bytes("staff_id,rolez", "N1,RN"), FileKind.STAFF, None, "misses required columns roles"),
        (csv_bytes("staff_id,roles,email", "N1,RN,a@b"), FileKind.STAFF, None, "email that staff/1 does not define"),
        (csv_bytes("# contract: census/1", "unit,at,patients"), FileKind.STAFF, None, "use --kind census"),
        (csv_bytes("# contract: staff/1", "staff_id,roles"), FileKind.STAFF, "2", "--contract asks for 2"),
        (csv_bytes("staff_id,roles"), FileKind.STAFF, "9", "no contract staff/9; use one of staff/1, staff/2"),
        (csv_bytes("staff_id,roles,roles"), FileKind.STAFF, None, "repeated column names (roles)"),
    ],
)
def test_whole_file_problems_raise_a_contract_error_naming_the_file(
    data: bytes, kind: FileKind, version: str | None, message: str
) -> None:
    stores = seeded()
    with pytest.raises(DataContractError, match="bad.csv") as caught:
        run(data, kind, stores, "bad.csv", version=version)
    assert message in str(caught.value)
    assert stores.reference.files.keys() == seeded().reference.files.keys()


def test_staff_v2_requires_updated_at_while_v1_does_not() -> None:
    data = csv_bytes("staff_id,roles,updated_at", "N8,RN,")
    assert run(data, FileKind.STAFF, Stores()).imported == 1
    outcome = run(data, FileKind.STAFF, Stores(), version="2")
    assert outcome.contract == "staff/2"
    assert "column updated_at: is empty but required" in outcome.quarantined[0].reason


def test_staff_semantic_rules_catch_inconsistent_roles() -> None:
    data = csv_bytes("staff_id,roles,home_unit", "N1,CHARGE,4W", "N2,RN;LPN,4W", "N3,RN;CHARGE,9Z")
    outcome = run(data, FileKind.STAFF, seeded())
    reasons = [row.reason for row in outcome.quarantined]
    assert "CHARGE without RN" in reasons[0]
    assert "2 licence levels (LPN, RN)" in reasons[1]
    assert "unit '9Z' is not known" in reasons[2]
    assert [row.problems[0].rule for row in outcome.quarantined] == [
        "charge_nurse_is_rn",
        "one_licence_level",
        "units_known",
    ]


def test_year_one_instants_are_quarantined_not_an_overflow_error() -> None:
    # Bug guarded: "0001-01-01T00:30:00+01:00" is valid ISO 8601, but converting it to UTC
    # overflowed (OverflowError escaped the importer) before years were bounded to 1900..2200.
    data = csv_bytes(ROSTER_HEADER, "N1,4W,D,0001-01-01T00:30:00+01:00,0001-01-01T05:30:00+01:00,")
    outcome = run(data, FileKind.ROSTER, seeded())
    [row] = outcome.quarantined
    assert "is outside the years 1900..2200" in row.reason and row.problems[0].column == "start"


def test_values_longer_than_the_store_keeps_are_refused_up_front() -> None:
    data = csv_bytes(ROSTER_HEADER, f"N1,4W,{'D' * 33},2026-03-02T07:00:00-08:00,2026-03-02T19:00:00-08:00,")
    [row] = run(data, FileKind.ROSTER, seeded()).quarantined
    assert "is longer than 32 characters" in row.reason
    with pytest.raises(DataContractError, match="rename the file to 1..180 characters"):
        run(data, FileKind.ROSTER, seeded(), name="r" * 181 + ".csv")
