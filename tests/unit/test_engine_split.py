"""A long horizon in parts (``engine.split``): the history a part leaves, the parts, the solve."""

from __future__ import annotations

import dataclasses
import importlib
import random
from datetime import date

import pytest

from careshift.adapters.benchmarks import inrc2
from careshift.domain.checker import check
from careshift.domain.problem import RosterProblem
from careshift.domain.rules import AssignmentCount, MaxWorkingWeekends, ShiftTypeCount
from careshift.domain.schedule import Assignment, Schedule
from careshift.domain.time import Horizon
from careshift.domain.workforce import StaffHistory
from careshift.engine import SolveOptions, solve
from careshift.engine.result import Progress
from careshift.engine.split import PART_DAYS, boundaries, carry, part, splittable
from tests.conftest import shared_path
from tests.unit.test_engine_pricing import _random_history


def _eight_weeks(history: int = 0) -> RosterProblem:
    return inrc2.read_instance(shared_path("benchmarks", "inrc2", "n005w4"), history, "1-2-3-3-1-2-3-3")


def _random_roster(problem: RosterProblem, days: tuple[date, ...], rng: random.Random) -> list[Assignment]:
    """Any shift (or none) a day per nurse, in one of their skills: hard rules may break,
    the soft ones are what the test reads."""
    shifts = [shift.id for shift in problem.shift_types]
    return [
        Assignment(member.id, day, rng.choice(shifts), rng.choice(sorted(member.skills)))
        for member in problem.staff
        for day in days
        if rng.random() < 0.7
    ]


@pytest.mark.parametrize("seed", range(8))
def test_the_last_part_charges_what_the_whole_adds_for_its_days(seed: int) -> None:
    # The whole's cost less the last part's (from the history the first part left) must not
    # depend on the last part's roster: runs over the border, totals and weekends carried.
    rng = random.Random(seed)
    problem = _eight_weeks()
    problem = dataclasses.replace(problem, history=_random_history(problem, rng))
    start_history = {member.id: problem.history_of(member.id) or StaffHistory() for member in problem.staff}
    first = part(problem, 0, PART_DAYS, start_history)
    head = _random_roster(problem, first.horizon.days, rng)
    carried = carry(first, Schedule.of(head), first.horizon.days)
    last = part(problem, PART_DAYS, len(problem.horizon.days) - PART_DAYS, carried)
    differences = set()
    for _ in range(4):
        tail = _random_roster(problem, last.horizon.days, rng)
        whole_cost = check(problem, Schedule.of(head + tail)).cost
        differences.add(whole_cost - check(last, Schedule.of(tail)).cost)
    assert len(differences) == 1


def test_carry_continues_the_runs_that_span_the_part() -> None:
    problem = _eight_weeks()
    history = {
        member.id: StaffHistory(
            last_shift="Late", consecutive_same_shift=2, consecutive_work_days=3, total_assignments=4
        )
        for member in problem.staff
    }
    problem = dataclasses.replace(problem, history=history)
    days = problem.horizon.days[:3]  # Monday to Wednesday
    someone, other = problem.staff[0], problem.staff[1]
    skill = sorted(someone.skills)[0]
    worked = Schedule.of(
        [Assignment(someone.id, day, "Late", skill) for day in days]
        + [Assignment(other.id, days[0], "Late", sorted(other.skills)[0])]
    )
    carried = carry(problem, worked, days)
    assert carried[someone.id] == StaffHistory(
        last_shift="Late", consecutive_same_shift=5, consecutive_work_days=6, total_assignments=7
    )
    # two days off after one worked: the off run starts there, the work counters end
    assert carried[other.id] == StaffHistory(consecutive_days_off=2, total_assignments=5)


def test_carry_counts_the_weekends_worked() -> None:
    problem = _eight_weeks()
    days = problem.horizon.days[:14]  # two weeks, Monday first
    member = problem.staff[0]
    skill = sorted(member.skills)[0]
    sunday = days[6]
    carried = carry(problem, Schedule.of([Assignment(member.id, sunday, "Early", skill)]), days)
    before = problem.history_of(member.id) or StaffHistory()
    assert carried[member.id].total_working_weekends == before.total_working_weekends + 1
    assert carried[member.id].consecutive_days_off == 7


def test_a_part_scales_the_totals_unless_it_is_the_last() -> None:
    problem = _eight_weeks()
    history = {member.id: StaffHistory() for member in problem.staff}
    first = part(problem, 0, PART_DAYS, history)
    last = part(problem, PART_DAYS, PART_DAYS, history)
    assert first.horizon == Horizon(problem.horizon.days[0], PART_DAYS)
    assert all(line.day in first.horizon for line in first.cover)
    assert len(first.cover) + len(last.cover) == len(problem.cover)
    assert len(first.requests) + len(last.requests) == len(problem.requests)
    whole = {rule.id: rule.spec for rule in problem.rules}
    for rule in first.rules:
        if isinstance(rule.spec, AssignmentCount):
            original = whole[rule.id]
            assert isinstance(original, AssignmentCount)
            assert original.maximum is not None and rule.spec.maximum == round(original.maximum / 2)
        if isinstance(rule.spec, MaxWorkingWeekends):
            original = whole[rule.id]
            assert isinstance(original, MaxWorkingWeekends)
            assert rule.spec.maximum == round(original.maximum / 2)
    assert last.rules == problem.rules


def test_parts_are_four_weeks_and_never_split_a_weekend() -> None:
    problem = _eight_weeks()
    assert boundaries(problem) == [(0, 28), (28, 28)]
    from_saturday = dataclasses.replace(problem, horizon=Horizon(date(2024, 1, 6), 84))
    pieces = boundaries(from_saturday)
    # day 28 from a Saturday is a Saturday (fine); a Sunday border moves a day on
    assert pieces == [(0, 28), (28, 28), (56, 28)]
    from_sunday = dataclasses.replace(problem, horizon=Horizon(date(2024, 1, 7), 70))
    assert boundaries(from_sunday) == [(0, 29), (29, 41)]


def test_only_long_horizons_with_history_and_known_rules_are_split() -> None:
    problem = _eight_weeks()
    assert splittable(problem)
    assert not splittable(dataclasses.replace(problem, history=None))
    four_weeks = inrc2.read_instance(shared_path("benchmarks", "inrc2", "n005w4"), 0, "1-2-3-3")
    assert not splittable(four_weeks)
    requests = next(rule for rule in problem.rules if rule.family == "shift_requests")
    total = dataclasses.replace(requests, id="S-total", spec=AssignmentCount(minimum=1))
    assert splittable(dataclasses.replace(problem, rules=(*problem.rules, total)))
    # a count of one shift type over the horizon is not carried by history: no split
    nights = dataclasses.replace(requests, id="S-nights", spec=ShiftTypeCount(shift="Night", maximum=3))
    assert not splittable(dataclasses.replace(problem, rules=(*problem.rules, nights)))
    frozen = dataclasses.replace(problem, frozen_days=frozenset({problem.horizon.days[3]}))
    assert not splittable(frozen)


def test_an_eight_week_solve_goes_in_parts_at_the_checkers_cost() -> None:
    problem = _eight_weeks()
    progress: list[Progress] = []
    result = solve(problem, SolveOptions(time_limit=16, workers=2, seed=0, progress=progress.append))
    assert result.route == "parts"
    assert result.schedule is not None and result.objective is not None
    report = check(problem, result.schedule)
    assert report.feasible
    assert result.objective == report.cost
    search = dict(result.search)
    assert search["parts"] == "28+28"
    assert len(search["part_costs"].split("+")) == 2
    # the whole's search starts from the parts' roster: never worse than it
    assert result.objective <= int(search["parts_roster"])
    # progress: the parts' roster first, then the whole's rosters after it, down to the result
    assert progress[0].objective == int(search["parts_roster"])
    assert all(found.wall_time >= progress[0].wall_time for found in progress)
    assert min(found.objective for found in progress) == result.objective
    assert result.time_to_best is not None and progress[0].wall_time <= result.time_to_best <= result.wall_time


def test_a_middle_part_counts_its_totals_from_the_horizons_start() -> None:
    # history carries what the parts before counted, so a middle part's limits are the
    # whole's scaled to the days from the start to its end, not to its own days
    problem = inrc2.read_instance(shared_path("benchmarks", "inrc2", "n005w4"), 0, "1-2-3-3-1-2-3-3-1-2-3-3")
    assert boundaries(problem) == [(0, 28), (28, 28), (56, 28)]
    history = {member.id: StaffHistory() for member in problem.staff}
    middle = part(problem, 28, 35, history)
    whole = {rule.id: rule.spec for rule in problem.rules}
    checked = 0
    for rule in middle.rules:
        original = whole[rule.id]
        if isinstance(rule.spec, AssignmentCount) and isinstance(original, AssignmentCount):
            assert original.maximum is not None
            assert rule.spec.maximum == int(original.maximum * 63 / 84 + 0.5)
            checked += 1
    assert checked > 0


def test_carry_continues_a_rest_that_spans_the_part() -> None:
    problem = _eight_weeks()
    history = {member.id: StaffHistory(consecutive_days_off=3) for member in problem.staff}
    problem = dataclasses.replace(problem, history=history)
    days = problem.horizon.days[:10]
    carried = carry(problem, Schedule.of([]), days)
    assert all(carried[member.id] == StaffHistory(consecutive_days_off=13) for member in problem.staff)


def test_solving_in_parts_can_be_turned_off() -> None:
    problem = _eight_weeks()
    result = solve(problem, SolveOptions(time_limit=6, workers=2, seed=0, parts=False))
    assert result.route == "whole_model"
    assert "parts" not in dict(result.search)


def test_when_a_part_has_no_roster_the_whole_is_solved_and_the_record_says_why() -> None:
    # weeks 3 then 0 of n005w4 cannot be covered by its five nurses: the first part (with
    # its look-ahead week) is proven infeasible, and so is the whole
    problem = inrc2.read_instance(shared_path("benchmarks", "inrc2", "n005w4"), 0, "1-2-3-3-0-1-2-0")
    result = solve(problem, SolveOptions(time_limit=10, workers=2, seed=0))
    assert result.route == "whole_model"
    # proven infeasible in the part's time on an idle machine; not proven yet on a busy one
    assert dict(result.search)["parts_failed"] in ("days 1-35: INFEASIBLE", "days 1-35: UNKNOWN")
    assert result.schedule is None and result.status in ("INFEASIBLE", "UNKNOWN")


def test_the_whole_models_search_starts_from_the_parts_roster_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # CP-SAT's own first roster of the whole is far worse than the parts' (ADR 0003: 16 140
    # against 3005 on n040w8_2), so the whole model's solve gives it no share of the time
    engine_solve = importlib.import_module("careshift.engine.solve")
    calls: list[SolveOptions] = []
    real = engine_solve.solve

    def recording(problem: RosterProblem, options: SolveOptions | None = None) -> object:
        assert options is not None
        calls.append(options)
        return real(problem, options)

    monkeypatch.setattr(engine_solve, "solve", recording)
    problem = _eight_weeks()
    result = real(problem, SolveOptions(time_limit=16, workers=2, seed=0))
    assert result.route == "parts"
    first, second, whole = calls
    assert first.hint is None and second.hint is None and whole.hint is not None
    assert first.lns_start == second.lns_start == SolveOptions().lns_start
    assert whole.lns_start == 0.0 and whole.columns is False and whole.parts is False
    # the parts' roster is what the whole's search held first
    assert dict(result.search).get("hinted") == dict(result.search)["parts_roster"]
