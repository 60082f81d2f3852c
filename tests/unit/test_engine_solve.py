"""The solve entry point: refusal of unmodelled rules, result fields, hints, determinism."""

from __future__ import annotations

import importlib
from dataclasses import replace
from typing import Any

import pytest

from careshift.domain.checker import check
from careshift.domain.errors import CareshiftError
from careshift.domain.rules import FairShare, MinRestBetweenShifts, Rule
from careshift.engine import Progress, SolveOptions, UnsupportedRuleError, build_model, input_hash, solve
from careshift.engine.lns import Incumbent
from tests.unit.test_engine_lines import WARD
from tests.unit.test_engine_rules import CASES


def test_an_unmodelled_hard_rule_is_refused_by_name() -> None:
    p = CASES["cover target and cap"]
    p = replace(p, rules=(*p.rules, Rule("rest-11h", MinRestBetweenShifts(hours=11))))
    with pytest.raises(UnsupportedRuleError, match=r"rest-11h \(min_rest_between_shifts, hard\)") as info:
        build_model(p)
    assert isinstance(info.value, CareshiftError)
    with pytest.raises(UnsupportedRuleError):
        solve(p, SolveOptions(time_limit=1))


def test_an_unmodelled_soft_rule_is_refused_too() -> None:
    p = CASES["cover target and cap"]
    p = replace(p, rules=(*p.rules, Rule("fair", FairShare(), hard=False, weight=3)))
    with pytest.raises(UnsupportedRuleError, match="fair_share"):
        solve(p, SolveOptions(time_limit=1))


def test_result_carries_breakdown_settings_and_input_hash() -> None:
    p = CASES["soft working-day runs, no history"]
    seen: list[Progress] = []
    result = solve(p, SolveOptions(time_limit=60, workers=2, seed=3, progress=seen.append, strategy="cpsat"))
    assert result.status == "OPTIMAL"
    assert result.schedule is not None
    assert result.objective == check(p, result.schedule).cost == 40
    assert result.best_bound == 40
    assert result.gap == 0.0
    assert result.time_to_best is not None and result.time_to_best <= result.wall_time
    assert sum(result.cost_by_staff().values()) == sum(result.cost_by_day().values()) == 40
    assert dict(result.parameters)["num_workers"] == "2"
    assert dict(result.parameters)["random_seed"] == "3"
    assert result.solver_version.startswith("ortools ")
    assert result.input_hash == input_hash(p) and len(result.input_hash) == 64
    assert seen and seen[-1].objective >= 40


def test_input_hash_changes_with_the_problem() -> None:
    p = CASES["cover target and cap"]
    assert input_hash(p) == input_hash(replace(p))
    assert input_hash(p) != input_hash(replace(p, name="other"))


def test_a_hint_of_an_optimal_roster_is_kept() -> None:
    p = CASES["hard runs, no history (Curtois style)"]
    first = solve(p, SolveOptions(time_limit=60, seed=1, strategy="cpsat"))
    assert first.schedule is not None
    again = solve(p, SolveOptions(time_limit=60, seed=2, hint=first.schedule, strategy="cpsat"))
    assert again.objective == first.objective == check(p, first.schedule).cost
    assert dict(again.parameters)["hinted"] == "True"


def test_an_unknown_strategy_is_refused() -> None:
    with pytest.raises(CareshiftError, match="strategy"):
        solve(CASES["cover target and cap"], SolveOptions(strategy="magic"))


def test_the_lns_strategy_returns_a_roster_the_checker_prices_the_same() -> None:
    # how far the search gets depends on the machine; the agreement with the checker does not
    p = CASES["shift counts, assignments and minutes"]
    result = solve(p, SolveOptions(time_limit=2, workers=2, seed=5, strategy="lns"))
    assert result.schedule is not None
    report = check(p, result.schedule)
    assert report.feasible
    assert result.objective == report.cost >= result.best_bound
    assert dict(result.parameters)["strategy"] == "lns"


def test_the_lns_walker_kicks_out_of_a_stall_and_keeps_the_best_roster() -> None:
    import time

    from ortools.sat.python import cp_model

    from careshift.engine.lns import Incumbent, improve
    from careshift.engine.solve import exact_penalties, extract_schedule

    p = CASES["shift counts, assignments and minutes"]
    m = build_model(p)
    first = cp_model.CpSolver()
    first.parameters.num_workers = 1
    first.parameters.stop_after_first_solution = True
    assert first.solve(m.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    start = Incumbent(list(first.response_proto.solution), first.objective_value, 0.0)
    now = time.monotonic()
    best, stats = improve(m, start, now + 1.5, seed=3, workers=2, started=now, kick_after=1)
    assert stats.kicks >= 1
    assert best.objective <= start.objective
    schedule = extract_schedule(m, lambda var: best.values[var.index], "test")
    cost, _lines = exact_penalties(m, schedule)
    assert cost == check(p, schedule).cost <= best.objective


def test_progress_ends_at_the_results_cost_when_the_searchs_roster_carried_slack(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a roster may carry slack in a penalty variable; the result re-reads its cost exactly,
    # and the caller's progress must end at that cost, not at the slack one
    solve_module = importlib.import_module("careshift.engine.solve")  # the package's `solve` is the function

    real = solve_module.improve

    def with_slack(*args: Any, **kwargs: Any) -> tuple[Incumbent, Any]:
        found, stats = real(*args, **kwargs)
        slack = replace(found, objective=found.objective + 15)
        kwargs["on_improve"](slack)  # as the search reports an improving roster
        return slack, stats

    monkeypatch.setattr(solve_module, "improve", with_slack)
    p = WARD  # CP-SAT stops at its first roster, not proven optimal, so the LNS runs
    seen: list[Progress] = []
    options = SolveOptions(
        time_limit=2, columns=False, workers=1, progress=seen.append, parameters={"stop_after_first_solution": True}
    )
    result = solve(p, options)
    assert result.schedule is not None and result.objective == check(p, result.schedule).cost
    assert any(found.objective == result.objective + 15 for found in seen)
    assert seen[-1].objective == result.objective
