"""One shift per day, skill required, fixed days off, forbidden successions."""

from __future__ import annotations

from careshift.domain.checker import check
from careshift.domain.rules import DaysOffRespected, ForbiddenSuccessions, OneShiftPerDay, Rule, Scope, SkillRequired
from careshift.domain.schedule import Assignment, Schedule
from careshift.domain.workforce import Staff, StaffHistory
from tests.unit.rules_roster import amounts, day, hard, problem, roster


def test_one_shift_per_day_counts_each_extra_shift_on_a_day() -> None:
    schedule = Schedule.of(
        [Assignment("A", day(0), "D"), Assignment("A", day(0), "E"), Assignment("A", day(0), "N")]
        + [Assignment("A", day(1), "D"), Assignment("B", day(0), "D")]
    )
    report = check(problem(hard(OneShiftPerDay())), schedule)
    assert amounts(report) == [("A", day(0), 2)]
    assert report.cost == 0
    assert not report.feasible


def test_one_shift_per_day_respects_the_scope() -> None:
    schedule = Schedule.of([Assignment("A", day(0), "D"), Assignment("A", day(0), "E")])
    report = check(problem(hard(OneShiftPerDay(), scope=Scope(staff=frozenset({"B"})))), schedule)
    assert report.feasible


def test_skill_required_flags_each_assignment_without_the_skill() -> None:
    staff = (Staff("A", skills=frozenset({"icu"})), Staff("B", skills=frozenset()))
    schedule = Schedule.of(
        [
            Assignment("A", day(0), "D", skill="icu"),
            Assignment("B", day(0), "D", skill="icu"),
            Assignment("B", day(1), "D", skill="triage"),
            Assignment("B", day(2), "D"),  # no skill asked: nothing to check
        ]
    )
    report = check(problem(hard(SkillRequired()), staff=staff), schedule)
    assert amounts(report) == [("B", day(0), 1), ("B", day(1), 1)]


def test_days_off_respected_flags_work_on_a_fixed_day_off() -> None:
    days_off = {"A": frozenset({day(2), day(5)}), "B": frozenset({day(0)})}
    report = check(problem(hard(DaysOffRespected()), days_off=days_off), roster(A="DDDDDD", B="-DD"))
    assert amounts(report) == [("A", day(2), 1), ("A", day(5), 1)]


def test_forbidden_successions_flags_a_day_shift_after_a_night() -> None:
    report = check(problem(hard(ForbiddenSuccessions())), roster(A="ND-NE", B="NN-ND"))
    assert amounts(report) == [("A", day(1), 1), ("A", day(4), 1), ("B", day(4), 1)]


def test_forbidden_successions_uses_extra_pairs() -> None:
    report = check(problem(hard(ForbiddenSuccessions(extra_pairs=frozenset({("E", "D")})))), roster(A="ED-DE"))
    assert amounts(report) == [("A", day(1), 1)]


def test_forbidden_successions_counts_the_history_last_shift_against_day_one() -> None:
    history = {"A": StaffHistory(last_shift="N", consecutive_work_days=1), "B": StaffHistory(last_shift="D")}
    report = check(problem(hard(ForbiddenSuccessions()), history=history), roster(A="D", B="D"))
    assert amounts(report) == [("A", day(0), 1)]


def test_one_shift_per_day_only_counts_days_the_rule_is_in_effect() -> None:
    rule = Rule("r", OneShiftPerDay(), effective_from=day(2), effective_to=day(3))
    schedule = Schedule.of(Assignment("A", day(d), shift) for d in range(5) for shift in ("D", "E"))
    assert amounts(check(problem(rule), schedule)) == [("A", day(2), 1), ("A", day(3), 1)]
