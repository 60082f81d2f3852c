"""The data-quality gate: one test per check on a tiny snapshot, then the verdict and settings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from careshift.domain.errors import InputError
from careshift.domain.schedule import Assignment
from careshift.domain.workforce import Staff
from careshift.service.quality import CensusReading as Reading
from careshift.service.quality import (
    QualityFinding,
    QualitySnapshot,
    QualityThresholds,
    Severity,
    Verdict,
    assess,
    verdict_for,
)
from careshift.service.quality_settings import load_thresholds
from careshift.service.registry import StaffRecord, TimedAssignment

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def staff(staff_id: str, *roles: str, updated: datetime | None = NOW) -> StaffRecord:
    return StaffRecord(Staff(staff_id, roles=frozenset(roles)), updated, "csv:staff.csv")


def shift(
    staff_id: str, day: int, code: str, start_h: int | None, hours: int = 12, unit: str = "4W"
) -> TimedAssignment:
    start = datetime(2026, 3, day, start_h, tzinfo=UTC) if start_h is not None else None
    end = start + timedelta(hours=hours) if start else None
    return TimedAssignment(Assignment(staff_id, date(2026, 3, day), code, None, unit), start, end)


def found(snapshot: QualitySnapshot, limits: QualityThresholds | None = None) -> list[tuple[str, Severity, str]]:
    return [(f.check, f.severity, f.record) for f in assess(snapshot, NOW, limits).findings]


def test_clean_data_is_ok() -> None:
    snapshot = QualitySnapshot(
        staff=(staff("N1", "RN", "CHARGE"), staff("N2", "CNA")),
        roster=(shift("N1", 2, "D", 15), shift("N1", 3, "D", 15)),
        census=(Reading("4W", NOW - timedelta(minutes=30), 20),),
        units=("4W",),
    )
    report = assess(snapshot, NOW)
    assert report.findings == () and report.verdict is Verdict.OK and report.verdict.exit_code == 0
    assert report.checked == {"staff": 2, "assignments": 2, "census reports": 1, "census intervals": 0}


def test_stale_staff_record_warns_after_the_configured_days() -> None:
    old = staff("N1", "RN", updated=NOW - timedelta(days=91))
    fresh = staff("N2", "RN", updated=NOW - timedelta(days=89))
    assert found(QualitySnapshot(staff=(old, fresh))) == [("stale_staff_record", Severity.WARN, "staff N1")]
    assert found(QualitySnapshot(staff=(old, fresh)), QualityThresholds(stale_staff_days=100)) == []
    [finding] = assess(QualitySnapshot(staff=(old,)), NOW).findings
    assert "91 days ago (limit 90 days)" in finding.reason and "re-import" in finding.fix


def test_staff_record_without_update_time_warns_as_missing_timestamp() -> None:
    [finding] = assess(QualitySnapshot(staff=(staff("N1", "RN", updated=None),)), NOW).findings
    assert (finding.check, finding.severity, finding.source) == (
        "staff_missing_timestamp",
        Severity.WARN,
        "csv:staff.csv",
    )
    assert "staff/2" in finding.fix


def test_unknown_role_codes_warn_and_block_when_no_known_role_is_left() -> None:
    snapshot = QualitySnapshot(staff=(staff("N1", "RN", "NP"), staff("N2", "rn")))
    assert found(snapshot) == [
        ("unknown_role_code", Severity.BLOCK, "staff N2"),
        ("unknown_role_code", Severity.WARN, "staff N1"),
    ]
    report = assess(snapshot, NOW)
    assert "rn (did you mean RN?)" in report.findings[0].reason
    assert found(snapshot, QualityThresholds(known_roles=frozenset({"RN", "NP", "rn"}))) == []


def test_inconsistent_role_codes() -> None:
    snapshot = QualitySnapshot(staff=(staff("N1", "CHARGE", "LPN"), staff("N2", "RN", "LPN"), staff("N3")))
    assert found(snapshot) == [
        ("inconsistent_role_codes", Severity.BLOCK, "staff N3"),
        ("inconsistent_role_codes", Severity.WARN, "staff N1"),
        ("inconsistent_role_codes", Severity.WARN, "staff N2"),
    ]
    reasons = [f.reason for f in assess(snapshot, NOW).findings]
    assert reasons == [
        "has no role, so no ratio rule can count them",
        "is CHARGE without RN",
        "holds 2 licence levels (LPN, RN)",
    ]


def test_duplicate_assignments_warn_once_and_do_not_count_as_overlap() -> None:
    snapshot = QualitySnapshot(roster=(shift("N1", 2, "D", 15), shift("N1", 2, "D", 15), shift("N1", 2, "D", 15)))
    [finding] = assess(snapshot, NOW).findings
    assert (finding.check, finding.severity, finding.reason) == (
        "duplicate_assignment",
        Severity.WARN,
        "appears 3 times",
    )


def test_overlapping_assignments_block_but_back_to_back_shifts_do_not() -> None:
    day_shift = shift("N1", 2, "D", 15)  # 15:00-03:00 UTC
    evening_on_icu = shift("N1", 2, "E", 23, hours=4, unit="ICU")  # 23:00-03:00, inside D
    next_night = shift("N1", 3, "N", 3)  # starts exactly when D ends
    other_staff = shift("N2", 2, "D", 15)
    snapshot = QualitySnapshot(roster=(day_shift, evening_on_icu, next_night, other_staff))
    [finding] = assess(snapshot, NOW).findings
    assert (finding.check, finding.severity, finding.record) == ("overlapping_assignments", Severity.BLOCK, "staff N1")
    assert finding.reason == "N1 2026-03-02 D on 4W overlaps N1 2026-03-02 E on ICU"


def test_assignment_without_times_warns_as_missing_timestamp() -> None:
    [finding] = assess(QualitySnapshot(roster=(shift("N1", 2, "D", None),)), NOW).findings
    assert (finding.check, finding.severity) == ("assignment_missing_timestamp", Severity.WARN)
    assert "has no start time" in finding.reason


def test_negative_census_blocks_once_per_unit() -> None:
    readings = (
        Reading("4W", NOW - timedelta(minutes=30), 3),
        Reading("4W", NOW - timedelta(minutes=15), -1, "projection", reported=False),
        Reading("4W", NOW, -2, "projection", reported=False),
    )
    [finding] = assess(QualitySnapshot(census=readings), NOW).findings
    assert (finding.check, finding.severity, finding.record) == ("negative_census", Severity.BLOCK, "census 4W")
    assert finding.reason.startswith("counts -2 patients at 2026-03-01T12:00:00+00:00 (2 readings below zero)")


def test_census_age_warns_then_blocks_and_projection_rows_do_not_refresh_it() -> None:
    def age(minutes: int) -> list[tuple[str, Severity, str]]:
        readings = (
            Reading("4W", NOW - timedelta(minutes=minutes), 20),
            Reading("4W", NOW, 20, "projection", reported=False),
        )
        return found(QualitySnapshot(census=readings))

    assert age(119) == []
    assert age(121) == [("stale_census", Severity.WARN, "unit 4W")]
    assert age(12 * 60 + 1) == [("stale_census", Severity.BLOCK, "unit 4W")]


def test_census_missing_time_in_future_or_absent_for_an_expected_unit() -> None:
    snapshot = QualitySnapshot(
        census=(
            Reading("4W", None, 20),
            Reading("4W", NOW + timedelta(hours=1), 20),
            Reading("ICU", NOW, 8),
        ),
        units=("4W", "ICU"),
        census_since=NOW - timedelta(days=1),
    )
    assert found(snapshot) == [
        ("missing_census", Severity.BLOCK, "unit 4W"),
        ("census_in_future", Severity.WARN, "census 4W at 2026-03-01T13:00:00+00:00"),
        ("census_missing_timestamp", Severity.WARN, "census 4W"),
    ]


@pytest.mark.parametrize(
    ("warns", "blocks", "limits", "verdict"),
    [
        (0, 0, QualityThresholds(), Verdict.OK),
        (1, 0, QualityThresholds(), Verdict.WARN),
        (0, 1, QualityThresholds(), Verdict.BLOCK),
        (3, 0, QualityThresholds(warn_at=4), Verdict.OK),
        (0, 1, QualityThresholds(block_at=2), Verdict.WARN),
        (5, 0, QualityThresholds(escalate_warnings=5), Verdict.BLOCK),
        (500, 0, QualityThresholds(escalate_warnings=None), Verdict.WARN),
    ],
)
def test_verdict_thresholds(warns: int, blocks: int, limits: QualityThresholds, verdict: Verdict) -> None:
    findings = tuple(QualityFinding("c", Severity.WARN, f"r{i}", "why", "fix") for i in range(warns)) + tuple(
        QualityFinding("c", Severity.BLOCK, f"b{i}", "why", "fix") for i in range(blocks)
    )
    assert verdict_for(findings, limits) is verdict
    assert [v.exit_code for v in Verdict] == [0, 1, 3]


def test_naive_clock_is_refused() -> None:
    with pytest.raises(Exception, match="no timezone"):
        assess(QualitySnapshot(), datetime(2026, 3, 1, 12))


def test_thresholds_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_thresholds() == QualityThresholds()
    monkeypatch.setenv("CARESHIFT_QUALITY_STALE_STAFF_DAYS", "30")
    monkeypatch.setenv("CARESHIFT_QUALITY_CENSUS_MAX_AGE_MIN", "60")
    monkeypatch.setenv("CARESHIFT_QUALITY_KNOWN_ROLES", "RN, NP")
    monkeypatch.setenv("CARESHIFT_QUALITY_ESCALATE_WARNINGS", "0")
    limits = load_thresholds()
    assert (limits.stale_staff_days, limits.census_max_age, limits.known_roles, limits.escalate_warnings) == (
        30,
        timedelta(hours=1),
        frozenset({"RN", "NP"}),
        None,
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CARESHIFT_QUALITY_STALE_STAFF_DAYS", "0", "CARESHIFT_QUALITY_STALE_STAFF_DAYS"),
        ("CARESHIFT_QUALITY_WARN_AT", "many", "CARESHIFT_QUALITY_WARN_AT"),
        ("CARESHIFT_QUALITY_CENSUS_BLOCK_AGE_MIN", "30", "below the warn age"),
        ("CARESHIFT_QUALITY_KNOWN_ROLES", " , ", "at least one role code"),
    ],
)
def test_bad_settings_are_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(InputError, match=message):
        load_thresholds()


def test_an_empty_store_blocks_instead_of_reading_as_ok() -> None:
    report = assess(QualitySnapshot(), NOW)
    assert [(f.check, f.severity) for f in report.findings] == [("no_data", Severity.BLOCK)]
    assert report.verdict is Verdict.BLOCK
