"""Improving a long roster a few weeks at a time (``engine.windows``): a cut costs what the
whole does up to a constant, its held margins keep the runs and successions across its
borders, its totals are shifted by what lies outside, and the improvement never raises the
cost or breaks a hard rule."""

from __future__ import annotations

import random
import time
from dataclasses import replace
from datetime import date, timedelta

import pytest
from ortools.sat.python import cp_model

from careshift.domain.checker import check
from careshift.domain.demand import Request, ShiftCover
from careshift.domain.errors import InfeasibleError
from careshift.domain.problem import RosterProblem
from careshift.domain.rules import (
    ConsecutiveDaysOff,
    ConsecutiveWorkingDays,
    CoverTarget,
    DaysOffRespected,
    ForbiddenSuccessions,
    MaxWorkingWeekends,
    Rule,
    ShiftRequests,
    ShiftTypeCount,
    WorkedMinutes,
)
from careshift.domain.rules.base import Scope
from careshift.domain.rules.fairness import FairShare
from careshift.domain.schedule import Assignment, Schedule
from careshift.domain.workforce import ShiftType, Staff, StaffHistory
from careshift.engine import SolveOptions, solve
from careshift.engine.build import build_model
from careshift.engine.lines import LineSearch
from careshift.engine.lns import KINDS, _Hotspots, _neighbourhood
from careshift.engine.windows import cut, free_days, improve_by_cuts, margin, windowable
from tests.unit.test_engine_rules import MONDAY, tiny

DAYS = 42


def day(index: int) -> date:
    return MONDAY + timedelta(days=index)


STAFF = tuple(Staff(name) for name in "ABCDEF")


def _ward() -> RosterProblem:
    rng = random.Random(7)
    per_staff = []
    for member in STAFF:
        only = Scope(staff=frozenset({member.id}))
        per_staff += [
            Rule(f"nights:{member.id}", ShiftTypeCount(shift="N", maximum=9), scope=only),
            Rule(f"minutes:{member.id}", WorkedMinutes(minimum=480 * 18, maximum=480 * 26), scope=only),
            Rule(f"weekends:{member.id}", MaxWorkingWeekends(maximum=4), scope=only),
        ]
    return tiny(
        Rule("successions", ForbiddenSuccessions()),
        Rule("days_off", DaysOffRespected()),
        Rule("run", ConsecutiveWorkingDays(minimum=2, maximum=5)),
        Rule("off", ConsecutiveDaysOff(minimum=2)),
        *per_staff,
        Rule("requests", ShiftRequests(), hard=False, weight=1),
        Rule("cover", CoverTarget(), hard=False, weight=1),
        staff=STAFF,
        shifts=(ShiftType("D", 480), ShiftType("N", 480, forbidden_next=frozenset({"D"}))),
        cover=tuple(
            ShiftCover(day(d), shift, 0, need, need, weight_under=20, weight_over=1)
            for d in range(DAYS)
            for shift, need in (("D", rng.choice((1, 2))), ("N", 1))
        ),
        requests=tuple(
            Request(member.id, day(d), rng.choice(("D", "N", None)), on=rng.random() < 0.5, weight=rng.randint(1, 4))
            for member in STAFF
            for d in rng.sample(range(DAYS), 8)
        ),
        days_off={member.id: frozenset({day(rng.randrange(DAYS))}) for member in STAFF},
        days=DAYS,
    )


WARD = _ward()

# the same ward with soft runs and totals tight enough that rosters break them, inside and
# outside a cut (so that a cut's shifted bounds are clamped at 0 for some people)
SOFT = replace(
    WARD,
    rules=(
        *WARD.rules,
        Rule("soft_run", ConsecutiveWorkingDays(minimum=3, maximum=3), hard=False, weight=5),
        Rule("soft_off", ConsecutiveDaysOff(minimum=3), hard=False, weight=3),
        Rule("soft_nights", ShiftTypeCount(shift="N", maximum=2), hard=False, weight=7),
        Rule("soft_minutes", WorkedMinutes(maximum=480 * 6), hard=False, weight=1),
        Rule("soft_weekends", MaxWorkingWeekends(maximum=1), hard=False, weight=11),
    ),
)


@pytest.fixture(scope="module")
def roster() -> Schedule:
    search = LineSearch(WARD, seed=3, workers=1)
    assert search.first(time.monotonic() + 60)
    schedule = search.schedule()
    assert check(WARD, schedule).feasible
    return schedule


def test_a_long_horizon_of_local_rules_and_totals_is_windowable() -> None:
    assert windowable(WARD)
    assert not windowable(replace(WARD, history={"A": StaffHistory()}))
    assert not windowable(replace(WARD, rules=(*WARD.rules, Rule("fair", FairShare(), hard=False))))
    assert not windowable(replace(WARD, horizon=replace(WARD.horizon, length=28), cover=(), requests=()))
    late = Rule("late", ConsecutiveDaysOff(minimum=3), effective_from=day(10))
    assert not windowable(replace(WARD, rules=(*WARD.rules, late)))


def test_the_margin_is_whole_weeks_longer_than_any_run_bound() -> None:
    assert margin(WARD) == 7  # runs of 2-5 worked, 2 off: 6 days would do, a week is held
    longer = replace(WARD, rules=(*WARD.rules, Rule("long", ConsecutiveWorkingDays(minimum=1, maximum=9))))
    assert margin(longer) == 14


def test_a_cut_runs_monday_to_sunday_and_freezes_all_but_its_free_days(roster: Schedule) -> None:
    piece = cut(WARD, roster, range(16, 23), 7)  # Wednesday of week 3 to Tuesday of week 4
    assert (piece.start, piece.stop) == (7, 35)  # Monday of week 2 to Sunday of week 5
    days = piece.problem.horizon.days
    assert days[0].weekday() == 0 and days[-1].weekday() == 6
    assert piece.problem.frozen_days == frozenset(day(d) for d in range(7, 35) if d not in range(16, 23))
    assert piece.problem.reference == Schedule.of([a for a in roster if 7 <= (a.day - day(0)).days < 35])
    assert all(line.day in piece.problem.horizon for line in piece.problem.cover)


def test_a_cuts_totals_are_the_wholes_less_what_each_person_works_outside(roster: Schedule) -> None:
    piece = cut(WARD, roster, range(14, 21), 7)
    rules = {rule.id: rule for rule in piece.problem.rules}
    for member in STAFF:
        outside = [a for a in roster if a.staff == member.id and not 7 <= (a.day - day(0)).days < 28]
        nights = rules[f"nights:{member.id}"].spec
        assert isinstance(nights, ShiftTypeCount)
        assert nights.maximum == 9 - sum(a.shift == "N" for a in outside)
        minutes = rules[f"minutes:{member.id}"].spec
        assert isinstance(minutes, WorkedMinutes)
        assert minutes.maximum == 480 * 26 - 480 * len(outside)
        assert minutes.minimum == max(0, 480 * 18 - 480 * len(outside))
        weekends = rules[f"weekends:{member.id}"].spec
        assert isinstance(weekends, MaxWorkingWeekends)
        worked = {a.day for a in outside}
        outside_weekends = [w for w in WARD.horizon.weekends() if not 7 <= (w[0] - day(0)).days < 28]
        assert weekends.maximum == 4 - sum(1 for w in outside_weekends if worked & set(w))


def test_a_rule_over_several_people_is_split_per_person_in_a_cut(roster: Schedule) -> None:
    shared = replace(WARD, rules=(*WARD.rules, Rule("all_nights", ShiftTypeCount(shift="N", maximum=12))))
    piece = cut(shared, roster, range(14, 21), 7)
    split = [rule for rule in piece.problem.rules if rule.id.startswith("all_nights/")]
    assert sorted(rule.id for rule in split) == [f"all_nights/{member.id}" for member in STAFF]
    assert all(rule.scope.staff == frozenset({rule.id.split("/")[1]}) for rule in split)


@pytest.mark.parametrize("first", [0, 7, 14, 21, 35])
@pytest.mark.parametrize("ward", [WARD, SOFT], ids=["hard_totals", "soft_totals"])
def test_a_cuts_best_roster_spliced_back_keeps_the_hard_rules_and_saves_what_the_cut_saves(
    roster: Schedule, first: int, ward: RosterProblem
) -> None:
    free = range(first, min(DAYS, first + 7))
    piece = cut(ward, roster, free, margin(ward))
    inside = set(piece.problem.horizon.days)
    before = check(piece.problem, Schedule.of([a for a in roster if a.day in inside]))
    assert before.feasible  # the roster's own days are a roster of the cut
    m = build_model(piece.problem)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.max_time_in_seconds = 30
    assert solver.solve(m.model) == cp_model.OPTIMAL
    homes = {member.id: member.home_unit for member in STAFF}
    found = [
        Assignment(staff, m.days[d], slot.shift, slot.skill, homes[staff])
        for (staff, d, slot), var in m.work.items()
        if solver.value(var)
    ]
    assert round(solver.objective_value) <= before.cost
    frozen = piece.problem.frozen_days
    assert {a for a in found if a.day in frozen} == {a for a in roster if a.day in frozen}
    spliced = Schedule.of([*(a for a in roster if a.day not in inside), *found])
    whole_before, whole_after = check(ward, roster), check(ward, spliced)
    assert whole_after.feasible, [v.reason for v in whole_after.hard_violations]
    assert whole_before.cost - whole_after.cost == before.cost - round(solver.objective_value)


def test_improve_by_cuts_never_raises_the_cost_and_keeps_the_hard_rules(roster: Schedule) -> None:
    start = check(WARD, roster).cost
    improved, stats = improve_by_cuts(WARD, roster, time.monotonic() + 12, seed=1, workers=2, weeks=2, seconds=2)
    report = check(WARD, improved)
    assert report.feasible
    assert stats.cuts >= 2 and stats.refused == 0
    assert stats.costs[0] == start and stats.costs[-1] == report.cost
    assert report.cost < start  # a first roster built person by person leaves cover to trade


def test_improve_by_cuts_refuses_a_roster_that_breaks_a_hard_rule(roster: Schedule) -> None:
    first = next(iter(roster))
    broken = Schedule.of([*roster, Assignment(first.staff, first.day, "N" if first.shift == "D" else "D")])
    with pytest.raises(InfeasibleError, match="keeps the hard rules; this one breaks .*one"):
        improve_by_cuts(WARD, broken, time.monotonic() + 5)


def test_the_person_by_person_route_goes_on_by_cuts_after_its_share() -> None:
    result = solve(WARD, SolveOptions(time_limit=8, workers=2, strategy="lines"))
    record = dict(result.search)
    assert result.route == "lines" and result.schedule is not None
    assert int(record["cuts"]) >= 1 and record["cuts_refused"] == "0"
    report = check(WARD, result.schedule)
    assert report.feasible and result.objective == report.cost


def test_the_soft_ward_breaks_its_soft_totals_outside_every_cut(roster: Schedule) -> None:
    # what makes the soft_totals case above worth running: the shifted bounds clamp at 0
    piece = cut(SOFT, roster, range(14, 21), 7)
    nights = [rule.spec for rule in piece.problem.rules if rule.id.startswith("soft_nights/")]
    assert len(nights) == len(STAFF)
    assert any(isinstance(spec, ShiftTypeCount) and spec.maximum == 0 for spec in nights)
    assert any(v.rule_id == "soft_run" for v in check(SOFT, roster).violations)


@pytest.mark.parametrize("start", [MONDAY, MONDAY + timedelta(days=2)], ids=["monday", "wednesday"])
@pytest.mark.parametrize("length", [40, 45])
def test_free_days_reach_both_ends_of_any_horizon(start: date, length: int) -> None:
    problem = replace(WARD, horizon=replace(WARD.horizon, start=start, length=length), cover=(), requests=())
    windows = [free_days(problem, centre, 21) for centre in range(length)]
    assert all(len(window) == 21 and 0 <= window.start and window.stop <= length for window in windows)
    assert windows[0].start == 0 and windows[-1].stop == length
    assert {d for window in windows for d in window} == set(range(length))
    days = problem.horizon.days
    assert all(window.start == 0 or window.stop == length or days[window.start].weekday() == 0 for window in windows)


def test_a_cut_of_a_horizon_not_starting_on_a_monday_still_holds_whole_weeks(roster: Schedule) -> None:
    problem = replace(WARD, horizon=replace(WARD.horizon, start=MONDAY + timedelta(days=2), length=40))
    inside = set(problem.horizon.days)
    kept = Schedule.of([a for a in roster if a.day in inside])
    piece = cut(problem, kept, range(15, 22), 7)
    days = piece.problem.horizon.days
    assert days[0].weekday() == 0 and days[-1].weekday() == 6
    assert (piece.start, piece.stop) == (5, 33)  # Monday on or before day 8, Sunday on or after day 28


def test_lns_neighbourhoods_free_only_days_in_their_span() -> None:
    m = build_model(WARD)
    rng = random.Random(5)
    hot = _Hotspots({"A": 3.0, "C": 1.0}, {0: 5.0, 20: 2.0, 41: 9.0})
    span = range(14, 28)
    for kind in KINDS:
        for size in (1.0, 3.0, 6.0):
            free = _neighbourhood(m, rng, kind, size, hot, span=span)
            assert free and {d for _staff, d in free} <= set(span), kind


def test_a_cut_the_engine_refuses_leaves_the_person_by_person_roster() -> None:
    # "cap" split per person in a cut becomes "cap/A", ..., which clashes with the rule "cap/A"
    clash = replace(
        WARD,
        rules=(
            *WARD.rules,
            Rule("cap", ShiftTypeCount(shift="N", maximum=20)),
            Rule("cap/A", ShiftTypeCount(shift="D", maximum=30), scope=Scope(staff=frozenset({"A"}))),
        ),
    )
    result = solve(clash, SolveOptions(time_limit=6, workers=2, strategy="lines"))
    record = dict(result.search)
    assert "cap/A" in record["cuts_failed"] and "cuts" not in record
    assert result.schedule is not None and check(clash, result.schedule).feasible
