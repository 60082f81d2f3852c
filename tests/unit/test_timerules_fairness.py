"""Fair share of nights, weekends and holidays (FTE-proportional spread) and change cost."""

from datetime import date

import pytest

from careshift.domain.checker import check
from careshift.domain.errors import DomainError
from careshift.domain.rules.fairness import ChangeCost, FairShare
from careshift.domain.schedule import Assignment
from tests.unit.timerules_builders import MONDAY, amounts, nurse, problem, rule, schedule


def days_from(first: int, count: int, step: int = 1) -> list[date]:
    return [date(2026, 3, first + step * k) for k in range(count)]


def test_night_spread_is_per_full_time_post() -> None:
    fair = rule(FairShare(kind="nights"), weight=10)
    staff = [nurse("full"), nurse("light"), nurse("part", contract="P60")]
    roster = schedule(
        *(("full", day, "N") for day in days_from(2, 4, 2)),  # 4 nights, FTE 1.0 -> 4
        ("light", MONDAY, "N"),  # 1 night -> 1
        *(("part", day, "N") for day in days_from(3, 3, 2)),  # 3 nights at FTE 0.6 -> 5
        ("light", date(2026, 3, 3), "D"),  # day shifts are not nights
    )
    report = check(problem(staff, [fair]), roster)
    assert amounts(report) == [4]  # floor(5 - 1)
    assert report.cost == 40
    assert "from 1 (light, 1) to 5 (part, 3)" in report.violations[0].reason


def test_weekend_and_holiday_spread() -> None:
    weekends = rule(FairShare(kind="weekends"), rule_id="fair-weekends")
    holidays = rule(FairShare(kind="holidays"), rule_id="fair-holidays")
    staff = [nurse("a"), nurse("b")]
    roster = schedule(
        ("a", date(2026, 3, 7), "D"),
        ("a", date(2026, 3, 8), "D"),  # one weekend, both days
        ("a", date(2026, 3, 14), "D"),  # a second weekend
        ("b", date(2026, 3, 9), "D"),
    )
    tiny = problem(staff, [weekends, holidays], holidays=frozenset({date(2026, 3, 9)}))
    report = check(tiny, roster)
    assert [(v.family, v.amount) for v in report.violations] == [("fair_share", 2), ("fair_share", 1)]


def test_even_spread_costs_nothing_and_unknown_kind_is_refused() -> None:
    fair = rule(FairShare(kind="nights"))
    roster = schedule(("a", MONDAY, "N"), ("b", date(2026, 3, 3), "N"))
    assert check(problem([nurse("a"), nurse("b")], [fair]), roster).violations == ()
    with pytest.raises(DomainError, match="kind"):
        FairShare(kind="evenings")


def test_change_cost_counts_removed_and_added_assignments() -> None:
    change = rule(ChangeCost(), weight=5)
    reference = schedule(("a", MONDAY, "D"), ("b", MONDAY, "N"), ("c", MONDAY, "D"))
    proposed = schedule(
        ("a", MONDAY, "D"),  # unchanged
        ("b", MONDAY, "D"),  # moved from N to D: one removal, one addition
        ("c", MONDAY, "D"),
        Assignment("d", MONDAY, "N", unit="4W"),  # added
    )
    staff = [nurse(s) for s in "abcd"]
    report = check(problem(staff, [change], reference=reference), proposed)
    assert amounts(report) == [1, 1, 1]
    assert report.cost == 15
    assert [v.reason.split(": ")[1] for v in report.violations] == [
        "removed N for b on 2026-03-02",
        "added D for b on 2026-03-02",
        "added N on 4W for d on 2026-03-02",
    ]
    assert check(problem(staff, [change]), proposed).violations == ()  # no reference, no cost
