"""The store-backed planning source: units, staff, rules, cover and live roster from what
the adapters stored (a tiny ward fed through the real CSV importer into the in-memory
store), and problems the checker and the engine both accept."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pytest

from careshift.adapters.csv.importer import import_csv
from careshift.adapters.csv.memory import InMemoryReferenceData
from careshift.adapters.csv.schema import FileKind
from careshift.adapters.store import MemoryStore, open_store
from careshift.adapters.store.imports import SqlReferenceData
from careshift.cli.serve import planning_source
from careshift.domain.checker import check
from careshift.domain.errors import DomainError, PolicyError
from careshift.domain.time import Horizon
from careshift.engine import build_model
from careshift.engine.solve import SolveOptions, solve
from careshift.policy import policy_version
from careshift.service.census_forecasts import StoredCensus, StoredCensusForecasts
from careshift.service.forecasts import ForecastPoint, StoredForecast
from careshift.service.memory import MemoryState, MemoryUnitOfWork
from careshift.service.store_planning import LICENSED, PLANNING_SHIFTS, PlanningPolicy, StorePlanning
from careshift.service.unit_cover import CoverNeed, QuantileSource, naive_quantiles, shift_cover

NOW = datetime(2026, 3, 4, 12, tzinfo=UTC)
TODAY = date(2026, 3, 4)  # the horizon's first day
UNITS = "unit_id,name,unit_type,timezone,beds\nw1,Ward 1,med_surg,UTC,10\nw2,Ward 2,med_surg,UTC,10\n"
STAFF = (
    "staff_id,name,roles,skills,credentials,contract_id,home_unit\n"
    + "".join(f"rn{n},RN {n},RN,med_surg,RN-CA:2030-01-01,FT,w1\n" for n in range(1, 8))
    + "rn8,RN 8,RN,med_surg,RN-CA:2026-03-05,FT,w1\n"  # licence lapses after Thursday
    + "cna1,CNA 1,CNA,,CNA-CA,FT,w1\ncna2,CNA 2,CNA,,CNA-CA,FT,w1\n"
    + "ch1,Charge 1,CHARGE;RN,charge,RN-CA,FT,w1\n"
)


def roster() -> bytes:
    lines = ["staff_id,unit,shift,start,end"]
    for offset in range(3):  # three days from today: rn1, rn2 on days, rn3 on nights
        day = TODAY + timedelta(days=offset)
        for staff, shift, start, hours in (("rn1", "D", 7, 12), ("rn2", "D", 7, 12), ("rn3", "N", 19, 12)):
            begin = datetime.combine(day, time(start), UTC)
            lines.append(f"{staff},w1,{shift},{begin.isoformat()},{(begin + timedelta(hours=hours)).isoformat()}")
    return ("\n".join(lines) + "\n").encode()


def seeded(census: bool = True, callout: bool = False) -> tuple[MemoryStore, InMemoryReferenceData]:
    store, reference = MemoryStore(), InMemoryReferenceData()
    horizon = Horizon(TODAY - timedelta(days=7), 28)  # what the importer accepts
    files = [
        ("units.csv", FileKind.UNITS, UNITS.encode()),
        ("staff.csv", FileKind.STAFF, STAFF.encode()),
        ("roster.csv", FileKind.ROSTER, roster()),
    ]
    if census:  # 12 patients on w1 since Tuesday morning (1:5 → floor 3)
        files.append(("census.csv", FileKind.CENSUS, b"unit,at,patients\nw1,2026-03-03T08:00:00+00:00,12\n"))
    if callout:
        row = "staff_id,day,reported_at,shift,unit,reason\nrn3,2026-03-04,2026-03-04T10:00:00+00:00,N,w1,sick\n"
        files.append(("callouts.csv", FileKind.CALLOUTS, row.encode()))
    for name, kind, data in files:
        outcome = import_csv(data, name, kind, store, reference, now=NOW, horizon=horizon)
        assert outcome.quarantined == (), outcome.quarantined
    return store, reference


def planning(census: bool = True, callout: bool = False, policy: PlanningPolicy | None = None) -> StorePlanning:
    store, reference = seeded(census, callout)
    return StorePlanning(reference, store, lambda: NOW, policy or PlanningPolicy())


def test_units_come_from_the_store_and_only_narrows_them() -> None:
    source = planning()
    assert source.units() == ["w1", "w2"]
    narrowed = StorePlanning(source.reference, source.store, lambda: NOW, only=("w1",))
    assert narrowed.units() == ["w1"]
    with pytest.raises(DomainError, match=r"unknown unit 'w2'; known units: w1"):
        narrowed.planning_input("w2")


def test_serve_plans_the_databases_units_and_refuses_units_it_does_not_hold(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    try:
        source = planning_source(store)
        assert source.planning.units() == ["4W", "5E"] and "holds no units, so the SAMPLE units 4W, 5E" in source.note
        assert source.timezones == {"4W": "UTC", "5E": "UTC"}
        for name, kind, data in (("units.csv", FileKind.UNITS, UNITS), ("staff.csv", FileKind.STAFF, STAFF)):
            import_csv(data.encode(), name, kind, store, SqlReferenceData(store.engine), now=NOW)
        source = planning_source(store, clock=lambda: NOW)
        assert isinstance(source.planning, StorePlanning) and source.planning.units() == ["w1", "w2"]
        assert source.note == "planning the database's units: w1, w2"
        assert source.planning.planning_input("w1").problem.horizon.start == TODAY  # on the given clock
        narrowed = planning_source(store, ("w2",))
        assert narrowed.planning.units() == ["w2"] and narrowed.timezones == {"w2": "UTC"}
        with pytest.raises(DomainError, match=r"--units names 4W, not in the database; it holds w1, w2"):
            planning_source(store, ("w2", "4W"))
    finally:
        store.close()


def test_an_unknown_unit_is_a_clear_domain_error() -> None:
    with pytest.raises(DomainError, match=r"unknown unit 'x9'; known units: w1, w2"):
        planning().planning_input("x9")


def test_a_unit_without_staff_says_which_file_to_import() -> None:
    with pytest.raises(DomainError, match=r"unit 'w2' has no staff homed on it; import a staff file"):
        planning().planning_input("w2")


def test_the_problem_holds_the_units_staff_and_records_the_policy_version_planned_under() -> None:
    item = planning().planning_input("w1")
    problem = item.problem
    assert problem.horizon == Horizon(TODAY, 14, "UTC")
    assert {member.id for member in problem.staff} == {f"rn{n}" for n in range(1, 9)} | {"cna1", "cna2", "ch1"}
    assert problem.member("ch1").skills == {"licensed", "charge"}
    assert problem.member("cna1").skills == {"cna"}
    assert problem.policy_version == policy_version(problem.rules)
    assert item.context["policy_pack"].startswith("us-ca-title22 ")
    assert item.context["policy_translated"] == "rn-licence, ca-ratio"
    families = {rule.family for rule in problem.rules}
    assert "nurse_to_patient_ratio" not in families and "credential_required" not in families
    build_model(problem)  # the engine accepts every rule (no UnsupportedRuleError)


def test_a_lapsed_licence_becomes_days_off_from_the_day_after_expiry() -> None:
    problem = planning().planning_input("w1").problem
    assert problem.days_off["rn8"] == frozenset(TODAY + timedelta(days=d) for d in range(2, 14))
    assert "rn1" not in problem.days_off


def test_cover_comes_from_the_stored_census_through_the_requirements_path() -> None:
    item = planning().planning_input("w1")
    assert item.context["cover_source"] == "census" and "no stored forecast for w1" in item.context["cover_forecast"]
    assert item.context["cover_ratio"].startswith("1:5 licensed (med_surg)")
    licensed = {(c.day, c.shift): c for c in item.problem.cover if c.skill == LICENSED}
    median, p90 = 12, 12 + 1.2816 * math.sqrt(12)
    # 1:5 on the median for the floor; p90 plus one for break relief and admissions for the target
    assert licensed[(TODAY, "D")].floor == math.ceil(median / 5) == 3
    assert licensed[(TODAY, "D")].target == math.ceil(p90 / 5) + 1 == 5
    assert {c.skill for c in item.problem.cover} == {"licensed", "cna", "charge"}
    cna = [c for c in item.problem.cover if c.skill == "cna"]
    assert {c.floor for c in cna} == {0} and {c.target for c in cna} == {math.ceil(p90 / 8)}  # house target only


def test_without_census_the_coverage_template_sets_cover_and_the_context_says_so() -> None:
    item = planning(census=False).planning_input("w1")
    assert item.context["cover_source"] == "coverage-template"
    assert "no stored forecast for w1, and no census for w1" in item.context["cover_forecast"]
    assert "all 10 beds" in item.context["cover_forecast"]
    licensed = [c for c in item.problem.cover if c.skill == LICENSED]
    assert {c.floor for c in licensed} == {2} and {c.target for c in licensed} == {3}


def test_a_unit_type_without_a_ratio_in_the_pack_gets_a_fixed_licensed_floor_and_says_so() -> None:
    store, reference = seeded()
    other = "unit_id,name,unit_type,timezone,beds\nw1,Ward 1,other,UTC,10\n"
    import_csv(other.encode(), "units2.csv", FileKind.UNITS, store, reference, now=NOW)
    item = StorePlanning(reference, store, lambda: NOW).planning_input("w1")
    assert item.context["cover_ratio"] == "no ratio for unit type other in the pack: fixed floor of 1 licensed"
    assert {(c.floor, c.target) for c in item.problem.cover if c.skill == LICENSED} == {(1, 2)}


class OneRun:
    """A stored forecast run of 20 patients all day on w1 (and none for other units); it
    records the span it was asked for."""

    def __init__(self) -> None:
        self.asked: list[tuple[datetime, datetime]] = []

    def census_quantiles(self, unit: str, start: datetime, end: datetime) -> StoredCensus | str:
        self.asked.append((start, end))
        if unit != "w1":
            return f"no stored forecast for {unit}"
        quantiles: QuantileSource = lambda starts: np.array([[20.0, 25.0]] * len(starts))  # noqa: E731
        return StoredCensus(quantiles, "run-7", "count_gbm test")


def test_a_stored_forecast_is_preferred_to_the_census_and_named_in_the_context() -> None:
    store, reference = seeded()
    runs = OneRun()
    item = StorePlanning(reference, store, lambda: NOW, forecasts=runs).planning_input("w1")
    assert item.context["cover_source"] == "forecast"
    assert item.context["cover_forecast"] == "stored census forecast run run-7 (count_gbm test)"
    licensed = {(c.floor, c.target) for c in item.problem.cover if c.skill == LICENSED}
    assert licensed == {(4, 6)}  # 20 at 1:5 for the floor; 25 at p90, plus one, for the target
    # asked for the first day shift's start to the last night's end (UTC ward, 14 days)
    assert runs.asked == [(datetime(2026, 3, 4, 7, tzinfo=UTC), datetime(2026, 3, 18, 7, tzinfo=UTC))]


def test_a_stored_run_short_of_the_horizon_falls_back_to_the_census_and_the_context_says_why() -> None:
    store, reference = seeded()
    state = MemoryState()
    points = tuple(
        ForecastPoint(start=NOW + timedelta(hours=h), skill=None, mean=30.0, quantiles={0.5: 30.0, 0.9: 36.0})
        for h in range(48)
    )
    state.forecasts["short"] = StoredForecast("short", "w1", NOW, "count_gbm test", "calendar", points)
    source = StoredCensusForecasts(lambda: MemoryUnitOfWork(state))
    item = StorePlanning(reference, store, lambda: NOW, forecasts=source).planning_input("w1")
    assert item.context["cover_source"] == "census"
    assert item.context["cover_forecast"].startswith(
        "stored forecast run short covers 2026-03-04T12:00:00+00:00 to 2026-03-06T12:00:00+00:00, not the "
        "planning horizon 2026-03-04T07:00:00+00:00 to 2026-03-18T07:00:00+00:00: naive-last-day-poisson/1"
    )
    licensed = {(c.day, c.shift): c for c in item.problem.cover if c.skill == LICENSED}
    assert licensed[(TODAY, "D")].floor == 3  # the stored census's 12 patients, not the run's 30


def test_the_live_roster_comes_from_the_store_after_call_outs() -> None:
    before = planning().planning_input("w1")
    after = planning(callout=True).planning_input("w1")
    wednesday = date(2026, 3, 4)
    assert ("rn3", wednesday, "N") in {(a.staff, a.day, a.shift) for a in before.current or ()}
    assert ("rn3", wednesday, "N") not in {(a.staff, a.day, a.shift) for a in after.current or ()}
    assert wednesday in after.problem.days_off["rn3"]
    assert {a.skill for a in after.current or ()} == {LICENSED}  # rostered without a skill: their grade
    assert len(after.current or ()) == 8 and after.context["roster_entries"] == "9"


def test_the_coverage_template_is_the_roster_as_imported() -> None:
    source = planning(callout=True)
    template = source.coverage_template("w1")
    assert template is not None and len(template) == 9
    assert source.coverage_template("w1") is not None
    empty = StorePlanning(source.reference, MemoryStore(), lambda: NOW)
    assert empty.coverage_template("w1") is None


def test_the_engine_solves_the_problem_and_its_objective_is_the_checkers_cost() -> None:
    item = planning(callout=True).planning_input("w1")
    result = solve(item.problem, SolveOptions(time_limit=20, workers=2, hint=item.current))
    assert result.schedule is not None
    report = check(item.problem, result.schedule)
    assert report.feasible, report.hard_violations[:3]
    assert result.objective == report.cost
    assert all(a.staff != "rn8" for a in result.schedule if a.day >= date(2026, 3, 6))


def test_a_pack_with_rules_the_planner_cannot_model_is_refused_by_name() -> None:
    with pytest.raises(PolicyError, match=r"policy pack eu-wtd holds rule\(s\) .*min_rest_between_shifts"):
        planning(policy=PlanningPolicy(pack="eu-wtd"))


def test_shift_cover_takes_the_largest_interval_need_over_the_shift() -> None:
    observed = {time(h, m): (20 if 15 <= h < 17 else 10) for h in range(24) for m in (0, 15, 30, 45)}
    cover = shift_cover(
        "w1",
        [TODAY],
        PLANNING_SHIFTS,
        "UTC",
        [CoverNeed("licensed", 5, min_staff=1), CoverNeed("charge", fixed_target=1, cap_margin=0)],
        lambda starts: naive_quantiles(observed, starts, "UTC"),
        risk="median",
    )
    by_key = {(c.shift, c.skill): (c.floor, c.target, c.cap) for c in cover}
    assert by_key[("D", "licensed")] == (4, 4, 6)  # the 15:00-17:00 peak of 20 patients at 1:5
    assert by_key[("N", "licensed")] == (2, 2, 4)
    assert by_key[("D", "charge")] == (0, 1, 1)
