"""The person-by-person first roster: it meets every hard rule, uses the cover left by the
people before, and is where the search starts when CP-SAT has no roster yet."""

from __future__ import annotations

import importlib
import time
from dataclasses import replace

import pytest

from careshift.domain.checker import check
from careshift.domain.demand import ShiftCover
from careshift.domain.problem import RosterProblem
from careshift.domain.rules import ConsecutiveDaysOff, ConsecutiveWorkingDays, CoverFloor, CoverTarget, Rule
from careshift.domain.schedule import Schedule
from careshift.domain.workforce import ShiftType, Staff
from careshift.engine import SolveOptions, solve
from careshift.engine.start import person_by_person, separable
from tests.unit.test_engine_rules import CASES, day, tiny

WARD = tiny(
    Rule("run", ConsecutiveWorkingDays(minimum=2, maximum=3)),
    Rule("off", ConsecutiveDaysOff(minimum=2)),
    Rule("cover", CoverTarget(), hard=False, weight=1),
    staff=(Staff("A"), Staff("B"), Staff("C")),
    shifts=(ShiftType("D", 480),),
    cover=tuple(ShiftCover(day(d), "D", 0, 1, 1, weight_under=10) for d in range(7)),
    days=7,
)


def test_only_problems_without_a_hard_cover_rule_are_separable() -> None:
    assert separable(WARD)
    assert not separable(replace(WARD, rules=(*WARD.rules, Rule("floor", CoverFloor()))))


def test_each_line_meets_the_hard_rules_and_the_cover_left_by_the_others() -> None:
    roster = person_by_person(WARD, time.monotonic() + 30)
    assert roster is not None
    report = check(WARD, roster)
    assert report.feasible
    # one D a day is wanted; people placed later fill the days left open, so no day is
    # staffed twice while another is empty
    staffed = [sum(1 for a in roster if a.day == day(d)) for d in range(7)]
    assert not (0 in staffed and max(staffed) > 1)
    assert report.cost == 10 * staffed.count(0)


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def recorded(
        problem: RosterProblem, deadline: float, *, seed: int = 0, last: float | None = None
    ) -> Schedule | None:
        calls.append(problem.name)
        return person_by_person(problem, deadline, seed=seed, last=last)

    # the module, not the ``solve`` function the package exports under the same name
    monkeypatch.setattr(importlib.import_module("careshift.engine.solve"), "person_by_person", recorded)
    return calls


# CP-SAT on the whole problem may not search at all: it stops before any roster
NO_SEARCH = {"max_deterministic_time": 0.0, "cp_model_presolve": False}


def test_the_search_starts_from_it_when_cp_sat_has_no_roster_yet(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _spy(monkeypatch)
    result = solve(WARD, SolveOptions(time_limit=20, workers=1, parameters=NO_SEARCH))
    assert calls == ["tiny"]
    assert result.schedule is not None and result.status in ("FEASIBLE", "OPTIMAL")
    report = check(WARD, result.schedule)
    assert report.feasible and result.objective == report.cost == 0  # the LNS closed the rest


def test_a_hard_cover_rule_is_not_built_person_by_person(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _spy(monkeypatch)
    p = CASES["cover floor hard with target"]
    result = solve(p, SolveOptions(time_limit=20, workers=1, parameters=NO_SEARCH))
    assert calls == [] and result.schedule is None and result.status == "UNKNOWN"
