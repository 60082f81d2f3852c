"""Candidates for one open shift: exact cost deltas per rule, hard breaches rule people out."""

from __future__ import annotations

import pytest

from careshift.domain.demand import Request, ShiftCover
from careshift.domain.errors import DomainError
from careshift.domain.rules import (
    ConsecutiveWorkingDays,
    CoverTarget,
    ForbiddenSuccessions,
    OneShiftPerDay,
    ShiftRequests,
)
from careshift.domain.workforce import Staff
from careshift.engine.candidates import OpenShift, rank_candidates
from tests.unit.rules_roster import day, hard, problem, roster, soft

# Day 2's D has target 1 (5 per person missing) and cap 1; A asked for D on day 2 (weight 4),
# B asked not to work day 2 (weight 3). C has worked days 0-1 (at most 2 in a row), D worked
# N on day 1 (N may not be followed by D), E already works E on day 2.
WARD = problem(
    hard(OneShiftPerDay(), "one"),
    hard(ForbiddenSuccessions(), "succession"),
    hard(ConsecutiveWorkingDays(maximum=2), "run"),
    soft(CoverTarget(), rule_id="target"),
    soft(ShiftRequests(), rule_id="requests"),
    days=4,
    staff=[Staff(name) for name in "ABCDE"],
    cover=[ShiftCover(day(2), "D", floor=0, target=1, cap=1, weight_under=5, weight_over=2)],
    requests=[Request("A", day(2), "D", on=True, weight=4), Request("B", day(2), None, on=False, weight=3)],
)
ROSTER = roster(A="----", B="----", C="DD--", D="-N--", E="--E-")
OPEN = OpenShift(day(2), "D")


def test_candidates_are_ranked_by_their_exact_cost_delta() -> None:
    ranked = rank_candidates(WARD, ROSTER, OPEN)
    assert [(c.staff, c.eligible, c.cost_delta) for c in ranked] == [
        ("A", True, -9),  # fills the line (−5) and meets A's request (−4)
        ("B", True, -2),  # fills the line (−5) but breaks B's day-off request (+3)
        ("C", False, -5),
        ("D", False, -5),
        ("E", False, -5),
    ]


def test_per_rule_deltas_are_the_hand_computed_ones() -> None:
    by_staff = {c.staff: c for c in rank_candidates(WARD, ROSTER, OPEN)}
    assert [(d.rule_id, d.before, d.after, d.delta) for d in by_staff["A"].rule_deltas] == [
        ("target", 5, 0, -5),
        ("requests", 4, 0, -4),
    ]
    assert [(d.rule_id, d.delta) for d in by_staff["B"].rule_deltas] == [("target", -5), ("requests", 3)]
    assert [(d.rule_id, d.hard, d.delta) for d in by_staff["C"].hard_breaches] == [("run", True, 1)]
    assert [d.rule_id for d in by_staff["D"].hard_breaches] == ["succession"]
    assert [d.rule_id for d in by_staff["E"].hard_breaches] == ["one"]


def test_why_not_names_the_rule_and_the_delta() -> None:
    by_staff = {c.staff: c for c in rank_candidates(WARD, ROSTER, OPEN)}
    assert by_staff["B"].why_not() == "B: cost -2; Optimal cover −5, Shift requests +3"
    why_not_c = by_staff["C"].why_not()
    assert why_not_c.startswith("C: not eligible; would break Consecutive working days")
    assert "3 working days in a row" in why_not_c
    assert "D the day after N" in by_staff["D"].why_not()


def test_candidates_can_be_asked_about_one_person_and_skip_who_already_works_the_shift() -> None:
    assert [c.staff for c in rank_candidates(WARD, ROSTER, OPEN, staff=["B"])] == ["B"]
    on_shift = roster(A="--D-")
    assert "A" not in {c.staff for c in rank_candidates(WARD, on_shift, OPEN)}


def test_staff_not_oriented_to_the_unit_are_not_allowed() -> None:
    ward = problem(days=4, staff=[Staff("A", home_unit="4W"), Staff("B", home_unit="ICU")])
    ranked = rank_candidates(ward, roster(), OpenShift(day(1), "D", unit="ICU"))
    assert [(c.staff, c.eligible) for c in ranked] == [("B", True), ("A", False)]
    assert ranked[1].why_not() == "A: not oriented to unit ICU"


def test_an_open_shift_outside_the_horizon_is_refused() -> None:
    with pytest.raises(DomainError, match="outside the horizon"):
        rank_candidates(WARD, ROSTER, OpenShift(day(9), "D"))
