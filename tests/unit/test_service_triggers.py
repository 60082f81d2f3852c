"""Demand triggers: census-rise and ED-surge thresholds, their wording, and the watch's memory."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from careshift.adapters.store import MemoryStore
from careshift.domain.events import Event, PatientArrived, PatientDeparted
from careshift.domain.triggers import TriggerPolicy, UnitTriggers
from careshift.service.ports import CensusInterval
from careshift.service.triggers import DemandWatch, census_crossing, duration_text, ed_crossing, repair_window

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)
RULES = UnitTriggers(census_rise_patients=4, census_rise_percent=25.0, census_min_patients=8, repair_days=2)


def series(*counts: int, unit: str = "4W") -> list[CensusInterval]:
    return [CensusInterval(unit, T0 + timedelta(minutes=15 * i), n) for i, n in enumerate(counts)]


def at_end(counts: list[CensusInterval]) -> datetime:
    return counts[-1].start + timedelta(minutes=10)


def test_a_rise_of_n_patients_crosses_and_says_from_what_to_what_in_how_long() -> None:
    counts = series(18, 18, 19, 20, 21, 22, 22, 22)
    crossing = census_crossing("4W", counts, at_end(counts), RULES)
    assert crossing is not None and crossing.kind == "census" and crossing.level == 22
    assert crossing.cause == ("census on 4W rose from 18 to 22 in 1 h 25 min (threshold +4 patients or +25 % in 2 h)")
    assert crossing.window == (date(2026, 3, 2), date(2026, 3, 3))


def test_a_rise_below_both_thresholds_does_not_cross() -> None:
    counts = series(18, 19, 20, 21)  # +3 patients, +17 %
    assert census_crossing("4W", counts, at_end(counts), RULES) is None


def test_a_percent_rise_crosses_only_from_a_census_of_at_least_the_minimum() -> None:
    rules = UnitTriggers(census_rise_patients=None, census_rise_percent=25.0, census_min_patients=8)
    assert census_crossing("4W", series(8, 10), T0, rules) is not None  # +25 % of 8
    assert census_crossing("4W", series(4, 6), T0, rules) is None  # +50 %, but from 4: noise on a small unit


def test_the_rise_counts_from_the_latest_lowest_point_and_a_fallen_back_rise_does_not_count() -> None:
    assert census_crossing("4W", series(22, 18, 22), T0, RULES) is not None  # fell 4 then rose 4: it is a rise of 4
    assert census_crossing("4W", series(18, 22, 20), T0, RULES) is None  # highest point passed; now +2


def test_switched_off_thresholds_never_cross() -> None:
    off = UnitTriggers(census_rise_patients=None, census_rise_percent=None, ed_arrivals_per_hour=None)
    assert census_crossing("4W", series(0, 40), T0, off) is None
    assert ed_crossing("ED", 99, T0, off) is None


def test_ed_surge_needs_more_than_the_level() -> None:
    rules = UnitTriggers(ed_arrivals_per_hour=10)
    assert ed_crossing("ED", 10, T0, rules) is None
    crossing = ed_crossing("ED", 11, T0, rules)
    assert crossing is not None
    assert crossing.cause == "ED surge on ED: 11 emergency arrivals in the last hour (threshold 10 per hour)"


def test_the_window_starts_on_the_events_day_on_the_units_clock() -> None:
    late = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)  # 3 March in Sydney
    assert repair_window(late, ZoneInfo("Australia/Sydney"), 3) == (date(2026, 3, 3), date(2026, 3, 5))
    assert repair_window(late, UTC, 1) == (date(2026, 3, 2), date(2026, 3, 2))


def test_durations_read_as_a_charge_nurse_says_them() -> None:
    assert [duration_text(timedelta(minutes=m)) for m in (15, 60, 90, 120)] == ["15 min", "1 h", "1 h 30 min", "2 h"]


def admissions(count: int, *, unit: str = "4W", start: datetime = T0, patient_class: str = "I") -> list[Event]:
    return [
        PatientArrived(
            occurred_at=start + timedelta(minutes=10 * n),
            recorded_at=start + timedelta(minutes=10 * n),
            source_system="hl7",
            source_id=f"{unit}-{start:%H%M}-{n}",
            entity_id=f"enc-{unit}-{start:%H%M}-{n}",
            unit=unit,
            patient_class=patient_class,
        )
        for n in range(count)
    ]


def watch_over(*batches: list[Event], policy: TriggerPolicy) -> tuple[MemoryStore, DemandWatch, list[list[str]]]:
    store = MemoryStore()
    watch = DemandWatch(store, policy)
    found: list[list[str]] = []
    for batch in batches:
        store.append(batch)
        found.append([c.cause for c in watch.observe(batch)])
    return store, watch, found


def test_the_watch_reads_the_census_projection_and_fires_once_per_spike() -> None:
    policy = TriggerPolicy(UnitTriggers(census_rise_patients=4, census_rise_percent=None, ed_arrivals_per_hour=None))
    first, more = admissions(4), admissions(2, start=T0 + timedelta(minutes=45))
    _, _, found = watch_over(first, more, policy=policy)
    assert found[0] == ["census on 4W rose from 0 to 4 in 30 min (threshold +4 patients in 2 h)"]
    assert found[1] == []  # 6 now, but only 2 more since the crossing: the same spike


def test_the_watch_fires_again_when_the_census_rises_by_the_threshold_again() -> None:
    policy = TriggerPolicy(UnitTriggers(census_rise_patients=4, census_rise_percent=None, ed_arrivals_per_hour=None))
    _, _, found = watch_over(admissions(4), admissions(4, start=T0 + timedelta(minutes=40)), policy=policy)
    assert len(found[1]) == 1 and "rose from 0 to 8" in found[1][0]


def test_discharges_do_not_trigger_and_other_units_keep_their_own_thresholds() -> None:
    policy = TriggerPolicy(
        UnitTriggers(census_rise_patients=4, census_rise_percent=None, ed_arrivals_per_hour=None),
        {"5E": UnitTriggers(census_rise_patients=2, census_rise_percent=None, ed_arrivals_per_hour=None)},
    )
    leave = [
        PatientDeparted(
            occurred_at=T0 + timedelta(hours=1),
            recorded_at=T0 + timedelta(hours=1),
            source_system="hl7",
            source_id=f"out-{n}",
            entity_id=f"enc-4W-0800-{n}",
            unit="4W",
        )
        for n in range(3)
    ]
    _, _, found = watch_over(admissions(3) + admissions(2, unit="5E"), leave, policy=policy)
    assert found[0] == ["census on 5E rose from 0 to 2 in 15 min (threshold +2 patients in 2 h)"]
    assert found[1] == []


def test_ed_surge_counts_emergency_arrivals_in_the_last_hour_only() -> None:
    policy = TriggerPolicy(UnitTriggers(census_rise_patients=None, census_rise_percent=None, ed_arrivals_per_hour=3))
    early = admissions(3, unit="ED", patient_class="E", start=T0 - timedelta(hours=2))
    now = admissions(3, unit="ED", patient_class="E") + admissions(5, unit="ED", patient_class="O")
    _, _, found = watch_over(early, now, policy=policy)
    assert found == [[], []]  # 3 then 3 in any hour: not above 3
    _, _, found = watch_over(
        early, now + admissions(1, unit="ED", patient_class="E", start=T0 + timedelta(minutes=35)), policy=policy
    )
    assert found[1] == ["ED surge on ED: 4 emergency arrivals in the last hour (threshold 3 per hour)"]
