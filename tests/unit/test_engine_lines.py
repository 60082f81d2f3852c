"""The person-by-person route (``engine.lines``): every line meets its person's hard rules,
the roster's objective is the checker's cost, and a person without a line is named."""

from __future__ import annotations

import importlib
import time
from dataclasses import replace

import pytest

from careshift.adapters.benchmarks import curtois
from careshift.domain.checker import check
from careshift.domain.demand import Request, ShiftCover
from careshift.domain.errors import InfeasibleError
from careshift.domain.rules import (
    ConsecutiveDaysOff,
    ConsecutiveWorkingDays,
    CoverFloor,
    CoverTarget,
    DaysOffRespected,
    Rule,
    ShiftRequests,
    WorkedMinutes,
)
from careshift.domain.rules.base import Scope
from careshift.domain.workforce import ShiftType, Staff
from careshift.engine import SolveOptions, UnsupportedRuleError, solve
from careshift.engine.lines import LineSearch, separable
from tests.conftest import shared_path
from tests.unit.test_engine_rules import day, tiny

WARD = tiny(
    Rule("run", ConsecutiveWorkingDays(minimum=2, maximum=3)),
    Rule("off", ConsecutiveDaysOff(minimum=2)),
    Rule("requests", ShiftRequests(), hard=False, weight=1),
    Rule("cover", CoverTarget(), hard=False, weight=1),
    staff=(Staff("A"), Staff("B"), Staff("C")),
    shifts=(ShiftType("D", 480), ShiftType("N", 480, forbidden_next=frozenset({"D"}))),
    cover=tuple(ShiftCover(day(d), shift, 0, 1, 1, weight_under=10, weight_over=3) for d in range(7) for shift in "DN"),
    requests=(Request("A", day(2), None, on=False, weight=4), Request("C", day(0), "N", on=True, weight=2)),
    days=7,
)


def test_separable_needs_one_shift_a_day_and_no_hard_cover_rule() -> None:
    assert separable(WARD)
    assert not separable(replace(WARD, rules=(*WARD.rules, Rule("floor", CoverFloor()))))
    assert not separable(replace(WARD, rules=WARD.rules[1:]))  # without the hard one-shift-a-day rule


def test_first_roster_meets_the_hard_rules_and_its_total_is_the_checkers_cost() -> None:
    search = LineSearch(WARD, workers=1)
    assert search.first(time.monotonic() + 60)
    report = check(WARD, search.schedule())
    assert report.feasible
    assert search.total() == report.cost
    assert {entry.staff for entry in search.log} == {"A", "B", "C"}
    assert all(entry.phase == "first" and entry.solve_s >= 0 and entry.build_s >= 0 for entry in search.log)


@pytest.mark.parametrize("threads", [1, 2])
def test_ruin_and_recreate_never_raises_the_cost_and_keeps_the_books_right(threads: int) -> None:
    search = LineSearch(WARD, workers=2, seed=3)
    assert search.first(time.monotonic() + 60, grace=0.0)
    before = search.total()
    search.improve(time.monotonic() + 2, window=3, group=(1, 2), threads=threads)
    report = check(WARD, search.schedule())
    assert report.feasible
    assert search.total() == report.cost <= before
    assert any(entry.phase == "improve" for entry in search.log)


def test_solve_by_lines_reports_the_checker_cost_and_its_route() -> None:
    result = solve(WARD, SolveOptions(time_limit=3, workers=1, strategy="lines"))
    assert result.schedule is not None and result.route == "lines"
    report = check(WARD, result.schedule)
    assert report.feasible and result.objective == report.cost
    assert sum(line.penalty for line in result.penalties) == report.cost
    assert int(dict(result.search)["lines_solves"]) >= len(WARD.staff)  # a first line each, at least


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_curtois_small_instances_by_lines_pass_the_checker(number: int) -> None:
    problem = curtois.read_instance(shared_path("benchmarks", "curtois_qu_nrp", f"Instance{number}.txt"))
    result = solve(problem, SolveOptions(time_limit=3, workers=2, strategy="lines"))
    assert result.schedule is not None and result.route == "lines"
    report = check(problem, result.schedule)
    assert report.feasible
    assert result.objective == report.cost


def test_a_person_without_a_line_is_named_with_the_rule() -> None:
    # B is off three of the seven days yet must work five: no line for B, A and C are fine
    strict = Rule("minutes:B", WorkedMinutes(minimum=5 * 480), scope=Scope(staff=frozenset({"B"})))
    problem = replace(
        WARD,
        rules=(*WARD.rules, strict, Rule("leave", DaysOffRespected())),
        days_off={"B": frozenset(day(d) for d in range(3))},
    )
    with pytest.raises(InfeasibleError) as caught:
        LineSearch(problem, workers=1).first(time.monotonic() + 60)
    message = str(caught.value)
    assert "no line for B" in message and "minutes:B" in message


def test_the_whole_model_is_skipped_when_it_is_too_big(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.import_module("careshift.engine.solve"), "LARGE", 0)
    result = solve(WARD, SolveOptions(time_limit=3, workers=1))
    assert result.route == "lines" and result.schedule is not None
    assert result.objective == check(WARD, result.schedule).cost


def test_lines_take_over_when_cp_sat_has_no_roster_in_its_share() -> None:
    # CP-SAT on the whole model may not search at all: it stops before any roster
    no_search = {"max_deterministic_time": 0.0, "cp_model_presolve": False}
    result = solve(WARD, SolveOptions(time_limit=3, workers=1, parameters=no_search))
    assert result.route == "lines" and result.schedule is not None
    assert result.objective == check(WARD, result.schedule).cost


def test_a_small_problem_keeps_the_whole_model() -> None:
    result = solve(WARD, SolveOptions(time_limit=3, workers=1))
    assert result.route == "whole_model" and result.schedule is not None


def test_a_cover_rule_that_starts_inside_the_horizon_is_refused() -> None:
    late = Rule("cover", CoverTarget(), hard=False, weight=1, effective_from=day(3))
    problem = replace(WARD, rules=(*[rule for rule in WARD.rules if rule.id != "cover"], late))
    with pytest.raises(UnsupportedRuleError, match="cover"):
        LineSearch(problem)


@pytest.mark.parametrize("centre", [None, 0, 40, 181])
def test_a_split_window_is_two_stretches_that_do_not_overlap(centre: int | None) -> None:
    import random

    rng = random.Random(7)
    for _ in range(50):
        whole = LineSearch._window(rng, centre, 28, 182, False)
        assert sorted(whole) == list(range(min(whole), min(whole) + 28))
        if centre is not None:
            assert centre in whole
        days = sorted(LineSearch._window(rng, centre, 28, 182, True))
        assert len(days) == 28 and 0 <= days[0] and days[-1] < 182
        gaps = [later - earlier for earlier, later in zip(days, days[1:], strict=False) if later - earlier > 1]
        assert len(gaps) <= 1  # two stretches of 14 (they may touch, never overlap)
        if centre is not None:
            assert centre in days
    assert LineSearch._window(rng, 3, 28, 40, True) == frozenset(range(28))  # too short to split: one stretch


def test_ruin_and_recreate_over_split_windows_keeps_the_books_right() -> None:
    search = LineSearch(WARD, workers=2, seed=5)
    assert search.first(time.monotonic() + 60, grace=0.0)
    before = search.total()
    search.improve(time.monotonic() + 2, window=2, group=(1, 2), apart=1.0)  # two single days of the 7
    report = check(WARD, search.schedule())
    assert report.feasible
    assert search.total() == report.cost <= before
