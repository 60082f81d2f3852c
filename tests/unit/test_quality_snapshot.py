"""Loading the gate's snapshot from the store ports (in memory), end to end with CSV imports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from careshift.adapters.csv.schema import FileKind
from careshift.domain.events import PatientArrived, PatientDeparted, ShiftSwapped
from careshift.service.ports import RosterEntry
from careshift.service.quality import Verdict, assess, load_snapshot
from tests.unit.csv_builders import NOW, csv_bytes, run, seeded


def test_snapshot_joins_csv_shift_times_and_reports_overlaps_stale_census_and_negative_counts() -> None:
    stores = seeded()
    run(
        csv_bytes(
            "staff_id,unit,shift,start,end",
            "N1,4W,D,2026-03-02T07:00:00-08:00,2026-03-02T19:00:00-08:00",
            "N1,ICU,E,2026-03-02T15:00:00-08:00,2026-03-02T23:00:00-08:00",
        ),
        FileKind.ROSTER,
        stores,
        "roster.csv",
    )
    stores.store.put_roster([RosterEntry("fhir:wfm", "slot-1", "N2", NOW.date() + timedelta(days=2), "D", "4W")])
    run(csv_bytes("unit,at,patients", "4W,2026-03-01T02:30:00-08:00,1"), FileKind.CENSUS, stores, "census.csv")
    # Two departures after the census snapshot of 1 drive the 4W projection to -1.
    for minute in (10, 20):
        stores.store.append(
            [
                PatientDeparted(
                    occurred_at=datetime(2026, 3, 1, 11, minute, tzinfo=UTC),
                    recorded_at=NOW,
                    source_system="hl7:test",
                    source_id=f"dep-{minute}",
                    entity_id="p",
                    unit="4W",
                )
            ]
        )

    snapshot = load_snapshot(stores.store, stores.reference, NOW)

    assert [r.staff.id for r in snapshot.staff] == ["N1", "N2", "N3"] and snapshot.units == ("4W", "ICU")
    timed = {(t.assignment.staff, t.assignment.shift): (t.start, t.end, t.source) for t in snapshot.roster}
    assert timed[("N1", "D")] == (
        datetime(2026, 3, 2, 15, tzinfo=UTC),
        datetime(2026, 3, 3, 3, tzinfo=UTC),
        "csv/roster",
    )
    assert timed[("N2", "D")] == (None, None, "fhir:wfm")
    assert min(r.patients for r in snapshot.census if r.patients is not None) == -1

    report = assess(snapshot, NOW)
    checks = {(f.check, f.record) for f in report.findings}
    assert ("overlapping_assignments", "staff N1") in checks
    assert ("assignment_missing_timestamp", "assignment N2 2026-03-03 D on 4W") in checks
    assert ("negative_census", "census 4W") in checks
    assert ("missing_census", "unit ICU") in checks
    assert ("staff_missing_timestamp", "staff N3") in checks
    assert ("stale_census", "unit 4W") not in checks  # departures at 11:20 UTC are fresh reports
    assert report.verdict is Verdict.BLOCK


def test_snapshot_ignores_reversed_events_and_follows_swaps() -> None:
    stores = seeded()
    run(
        csv_bytes("staff_id,unit,shift,start,end", "N1,4W,D,2026-03-02T07:00:00-08:00,2026-03-02T19:00:00-08:00"),
        FileKind.ROSTER,
        stores,
    )
    stores.store.append(
        [
            ShiftSwapped(
                occurred_at=NOW - timedelta(hours=1),
                recorded_at=NOW,
                source_system="wfm",
                source_id="swap-1",
                entity_id="N1",
                other_staff="N2",
                day=NOW.date() + timedelta(days=1),
                shift="D",
                other_day=NOW.date() + timedelta(days=5),
                other_shift="D",
            ),
            PatientArrived(
                occurred_at=NOW - timedelta(minutes=5),
                recorded_at=NOW,
                source_system="hl7:test",
                source_id="arr-1",
                entity_id="p",
                unit="ICU",
            ),
        ]
    )
    snapshot = load_snapshot(stores.store, stores.reference, NOW)
    [entry] = snapshot.roster
    assert entry.assignment.staff == "N2" and entry.start is not None  # times follow the shift, not the person
    assert [r.unit for r in snapshot.census if r.reported] == ["ICU"]
