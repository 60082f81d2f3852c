"""Shift requests and cover per shift (floor, target, cap)."""

from __future__ import annotations

from careshift.domain.checker import check
from careshift.domain.demand import Request, ShiftCover
from careshift.domain.rules import CoverFloor, CoverTarget, Scope, ShiftRequests
from careshift.domain.schedule import Assignment, Schedule
from tests.unit.rules_roster import amounts, day, hard, problem, roster, soft


def test_shift_requests_charges_unmet_requests_times_their_weight() -> None:
    requests = (
        Request("A", day(0), "D", on=True, weight=3),  # met
        Request("A", day(1), "D", on=True, weight=2),  # works E instead: breached
        Request("A", day(2), None, on=False, weight=4),  # works: breached
        Request("B", day(0), "N", on=False, weight=1),  # works D, not N: met
        Request("B", day(1), None, on=True, weight=5),  # off: breached
    )
    report = check(problem(soft(ShiftRequests(), weight=10), requests=requests), roster(A="DEN", B="D"))
    assert amounts(report) == [("A", day(1), 1), ("A", day(2), 1), ("B", day(1), 1)]
    assert report.cost == 10 * (2 + 4 + 5)


def test_cover_floor_counts_people_missing_per_skill_line() -> None:
    cover = (
        ShiftCover(day(0), "D", floor=2, target=2, skill="icu"),
        ShiftCover(day(0), "D", floor=3, target=3),  # any skill
        ShiftCover(day(1), "N", floor=1, target=1),
    )
    schedule = Schedule.of([Assignment("A", day(0), "D", skill="icu"), Assignment("B", day(0), "D", skill="rn")])
    report = check(problem(hard(CoverFloor()), cover=cover), schedule)
    assert amounts(report) == [(None, day(0), 1), (None, day(0), 1), (None, day(1), 1)]


def test_cover_target_charges_under_and_over_with_line_weights() -> None:
    cover = (
        ShiftCover(day(0), "D", floor=0, target=3, cap=3, weight_under=100, weight_over=1),
        ShiftCover(day(1), "D", floor=0, target=1, cap=1, weight_under=100, weight_over=7),
        ShiftCover(day(2), "D", floor=0, target=0, cap=None),  # no cap: no over-cost
    )
    report = check(problem(soft(CoverTarget()), cover=cover), roster(A="DDD", B="-DD", C="-D"))
    assert amounts(report) == [(None, day(0), 2), (None, day(1), 2)]
    assert report.cost == 2 * 100 + 2 * 7


def test_cover_target_scope_selects_units() -> None:
    cover = (
        ShiftCover(day(0), "D", floor=0, target=1, unit="icu"),
        ShiftCover(day(0), "D", floor=0, target=1, unit="ed"),
    )
    schedule = Schedule.of([Assignment("A", day(0), "D", unit="icu")])
    report = check(problem(soft(CoverTarget(), scope=Scope(units=frozenset({"ed"}))), cover=cover), schedule)
    assert amounts(report) == [(None, day(0), 1)]
