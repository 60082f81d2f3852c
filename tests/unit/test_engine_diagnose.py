"""Diagnose: hand-made infeasible problems with planted conflicts; the diagnosis names them."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from careshift.domain.checker import check
from careshift.domain.demand import ShiftCover
from careshift.domain.errors import InfeasibleError
from careshift.domain.problem import RosterProblem
from careshift.domain.rules import (
    ConsecutiveDaysOff,
    ConsecutiveWorkingDays,
    CoverFloor,
    DaysOffRespected,
    ForbiddenSuccessions,
    OneShiftPerDay,
    RollingWorkedMinutes,
    Rule,
    SkillRequired,
)
from careshift.domain.workforce import Staff, StaffHistory
from careshift.engine.diagnose import diagnose, relax
from careshift.engine.solve import SolveOptions, solve
from tests.unit.rules_roster import day, problem


def rule(rule_id: str, spec: object, priority: int) -> Rule:
    return Rule(rule_id, spec, hard=True, priority=priority)  # type: ignore[arg-type]


ONE = rule("one", OneShiftPerDay(), 1000)
SUCCESSION = rule("succession", ForbiddenSuccessions(), 950)
FLOOR = rule("floor", CoverFloor(), 850)
LEAVE = rule("leave", DaysOffRespected(), 800)


def floor(index: int, shift: str, people: int, skill: str | None = None) -> ShiftCover:
    return ShiftCover(day(index), shift, floor=people, target=people, skill=skill)


def test_a_floor_of_three_with_two_staff_is_the_only_thing_to_relax() -> None:
    diagnosis = diagnose(problem(ONE, SUCCESSION, FLOOR, days=3, cover=[floor(1, "D", 3), floor(2, "D", 2)]))
    assert not diagnosis.feasible
    assert [(r.rule_id, r.day, r.line) for r in diagnosis.relaxations] == [("floor", day(1), floor(1, "D", 3))]
    assert [[r.rule_id for r in conflict] for conflict in diagnosis.conflicts] == [["floor"]]
    assert diagnosis.relaxations[0].text == "accept fewer than 3 staff on D on 2024-01-02 (Minimum cover, rule floor)"


def test_a_day_off_against_a_floor_relaxes_the_lower_priority_of_the_two() -> None:
    ward = problem(ONE, FLOOR, LEAVE, days=3, cover=[floor(1, "D", 2)], days_off={"A": frozenset({day(1)})})
    diagnosis = diagnose(ward)
    # the conflict is exactly the planted pair, least important first
    assert [[(r.rule_id, r.staff, r.day) for r in c] for c in diagnosis.conflicts] == [
        [("leave", "A", day(1)), ("floor", None, day(1))]
    ]
    assert [(r.rule_id, r.staff) for r in diagnosis.relaxations] == [("leave", "A")]
    assert "let A work on 2024-01-02, a fixed day off or leave" in diagnosis.explain()

    # make leave matter more than the floor: the floor is what to relax now
    inverted = replace(ward, rules=(ONE, replace(FLOOR, priority=700), LEAVE))
    assert [r.rule_id for r in diagnose(inverted).relaxations] == ["floor"]


def test_two_independent_conflicts_give_two_relaxations() -> None:
    ward = problem(
        ONE,
        FLOOR,
        LEAVE,
        days=4,
        cover=[floor(0, "N", 3), floor(2, "D", 2), floor(3, "E", 1)],
        days_off={"B": frozenset({day(2)})},
    )
    diagnosis = diagnose(ward)
    assert [(r.rule_id, r.staff, r.day) for r in diagnosis.relaxations] == [
        ("leave", "B", day(2)),
        ("floor", None, day(0)),
    ]
    assert len(diagnosis.conflicts) == 2


def test_a_run_limit_against_three_floors_relaxes_the_run_limit() -> None:
    run = rule("run", ConsecutiveWorkingDays(maximum=2), 700)
    ward = problem(ONE, run, FLOOR, days=3, staff=[Staff("A")], cover=[floor(i, "D", 1) for i in range(3)])
    diagnosis = diagnose(ward)
    assert [(r.rule_id, r.staff) for r in diagnosis.relaxations] == [("run", "A")]
    conflict = diagnosis.conflicts[0]
    assert [r.rule_id for r in conflict] == ["run", "floor", "floor", "floor"]
    assert diagnosis.relaxations[0].text == "relax Consecutive working days for A (rule run)"


def test_history_and_skills_are_part_of_the_encoding() -> None:
    # A ended the previous period on N and is the only one with the ICU skill; N may not be
    # followed by D, so an ICU floor on D on day one cannot be met
    skill = rule("skill", SkillRequired(), 900)
    ward = problem(
        ONE,
        SUCCESSION,
        skill,
        FLOOR,
        days=2,
        staff=[Staff("A", skills=frozenset({"icu"})), Staff("B")],
        cover=[floor(0, "D", 1, skill="icu")],
        history={"A": StaffHistory(last_shift="N", consecutive_work_days=1)},
    )
    diagnosis = diagnose(ward)
    assert [[(r.rule_id, r.staff) for r in c] for c in diagnosis.conflicts] == [
        [("floor", None), ("skill", "B"), ("succession", "A")]
    ]
    assert [r.rule_id for r in diagnosis.relaxations] == ["floor"]


def test_a_feasible_problem_needs_no_relaxation() -> None:
    diagnosis = diagnose(problem(ONE, FLOOR, LEAVE, days=3, cover=[floor(1, "D", 2)]))
    assert diagnosis.feasible
    assert diagnosis.relaxations == ()
    assert diagnosis.explain() == "A roster meets every hard rule."


def test_rules_outside_the_encoding_are_named() -> None:
    rolling = rule("rolling", RollingWorkedMinutes(window_hours=24, maximum=600), 900)
    diagnosis = diagnose(problem(ONE, rolling, days=2))
    assert diagnosis.feasible
    assert diagnosis.not_encoded == ("rolling (rolling_worked_minutes)",)
    assert "not checked: rolling (rolling_worked_minutes)" in diagnosis.explain()


def test_infeasible_error_carries_the_relaxations() -> None:
    ward = problem(ONE, FLOOR, LEAVE, days=3, cover=[floor(1, "D", 2)], days_off={"A": frozenset({day(1)})})
    with pytest.raises(InfeasibleError) as raised:
        raise diagnose(ward).error()
    assert raised.value.relaxations == (
        "let A work on 2024-01-02, a fixed day off or leave (Fixed days off and leave, rule leave)",
    )
    assert "No roster meets every hard rule" in str(raised.value)


# -- cross-check against the engine's own model -------------------------------------------------

RUN = rule("run", ConsecutiveWorkingDays(maximum=2), 700)
PAIRS = rule("pairs", ConsecutiveDaysOff(minimum=2), 650)


def engine_feasible(p: RosterProblem) -> bool:
    result = solve(p, SolveOptions(time_limit=5, workers=1, strategy="cpsat"))
    assert result.status != "UNKNOWN"
    if result.schedule is None:
        return False
    assert check(p, result.schedule).feasible
    return True


@st.composite
def small_wards(draw: st.DrawFn) -> RosterProblem:
    days = draw(st.integers(2, 4))
    names = "ABC"[: draw(st.integers(1, 3))]
    cover = [
        floor(i, shift, people) for i in range(days) for shift in ("D", "N") if (people := draw(st.integers(0, 2)))
    ]
    off = {
        name: frozenset(day(i) for i in range(days) if draw(st.booleans()) and draw(st.booleans())) for name in names
    }
    rules = [ONE, SUCCESSION, FLOOR, LEAVE]
    rules += [r for r in (RUN, PAIRS) if draw(st.booleans())]
    return problem(*rules, days=days, staff=[Staff(name) for name in names], cover=cover, days_off=off)


@settings(max_examples=30, deadline=None)
@given(small_wards())
def test_the_relaxations_are_exactly_what_the_engine_needs(ward: RosterProblem) -> None:
    # diagnose's own encoding against the engine's constraint builders: the relaxed problem
    # is feasible for the engine, and every relaxation is needed
    diagnosis = diagnose(ward)
    assert engine_feasible(relax(ward, diagnosis.relaxations))
    assert diagnosis.feasible == engine_feasible(ward)
    for item in diagnosis.relaxations:
        others = [other for other in diagnosis.relaxations if other != item]
        assert not engine_feasible(relax(ward, others))


def test_an_undecided_diagnosis_says_so_instead_of_claiming_feasibility() -> None:
    ward = problem(ONE, FLOOR, LEAVE, days=3, cover=[floor(1, "D", 2)], days_off={"A": frozenset({day(1)})})
    diagnosis = diagnose(ward, time_limit=1e-9)
    assert not diagnosis.decided and not diagnosis.feasible and not diagnosis.complete
    assert diagnosis.relaxations == ()
    assert diagnosis.explain().startswith("Could not decide within the time limit")
