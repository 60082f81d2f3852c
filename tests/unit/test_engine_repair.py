"""Repair after a call-out or a demand increase: covered, minimal change, frozen days kept."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from careshift.domain.demand import ShiftCover
from careshift.domain.errors import DomainError
from careshift.domain.events import StaffCalledOut
from careshift.domain.problem import RosterProblem
from careshift.domain.recommendations import ProducedBy
from careshift.domain.rules import (
    ConsecutiveDaysOff,
    ConsecutiveWorkingDays,
    CoverFloor,
    CoverTarget,
    DaysOffRespected,
    FairShare,
    ForbiddenSuccessions,
    OneShiftPerDay,
    Rule,
    RuleSpec,
)
from careshift.domain.schedule import Schedule
from careshift.domain.workforce import Staff
from careshift.engine.fallback import greedy_roster
from careshift.engine.repair import CallOut, DemandIncrease, apply_event, repair, verify
from tests.unit.rules_roster import day, problem, soft

DAYS = 14


def ward() -> RosterProblem:
    """Seven nurses; D needs 2 (target 3), N needs 1; N may not be followed by D or E; at
    most 5 days in a row, days off at least 2 in a row; C is on leave on day 10. Hard rule
    priorities as in the policy packs (higher = more important)."""
    cover = [
        line
        for i in range(DAYS)
        for line in (
            ShiftCover(day(i), "D", floor=2, target=3, cap=3, weight_under=20),
            ShiftCover(day(i), "N", floor=1, target=1, cap=1, weight_under=20),
        )
    ]
    return problem(
        Rule("one", OneShiftPerDay(), priority=1000),
        Rule("succession", ForbiddenSuccessions(), priority=950),
        Rule("run", ConsecutiveWorkingDays(maximum=5), priority=700),
        Rule("off", ConsecutiveDaysOff(minimum=2), priority=650),
        Rule("leave", DaysOffRespected(), priority=800),
        Rule("floor", CoverFloor(), priority=850),
        soft(CoverTarget(), rule_id="target"),
        days=DAYS,
        staff=[Staff(name) for name in "ABCDEFG"],
        cover=cover,
        days_off={"C": frozenset({day(10)})},
    )


@cache
def current() -> Schedule:
    result = greedy_roster(ward())
    assert result.feasible
    return result.schedule


def staffed(schedule: Schedule, index: int, shift: str) -> int:
    return sum(1 for a in schedule if a.day == day(index) and a.shift == shift)


def worker_on(schedule: Schedule, index: int, shift: str) -> str:
    return min(a.staff for a in schedule if a.day == day(index) and a.shift == shift)


def test_a_call_out_is_covered_by_the_optimizer_with_few_changes() -> None:
    roster = current()
    nurse = worker_on(roster, 6, "N")
    result = repair(ward(), roster, CallOut(nurse, (day(6),)), time_limit=10, seed=1)
    assert result.produced_by is ProducedBy.OPTIMIZER and not result.fallback
    assert result.status in ("OPTIMAL", "FEASIBLE")
    assert result.feasible, [v.reason for v in result.report.hard_violations]
    assert [(a.staff, a.day) for a in result.event_removed] == [(nurse, day(6))]
    assert not result.schedule.on(nurse, day(6))
    assert staffed(result.schedule, 6, "N") == 1
    # the objective is the checker's cost plus the change cost, and the change cost is
    # the weight times the assignments changed
    assert result.objective == result.cost
    assert result.change_cost == 10 * result.disruption.shifts
    assert 1 <= result.disruption.shifts <= 3
    assert result.disruption.people >= 1


@pytest.mark.parametrize(("nurse_day", "frozen"), [(5, range(5)), (9, range(6, 9)), (3, range(4))])
def test_repair_never_changes_a_frozen_assignment(nurse_day: int, frozen: range) -> None:
    roster = current()
    nurse = worker_on(roster, nurse_day, "D")
    frozen_days = [day(i) for i in frozen]
    result = repair(ward(), roster, CallOut(nurse, (day(nurse_day),)), frozen_days=frozen_days, time_limit=10)
    after = {a for a in roster if a not in result.event_removed}
    for d in frozen_days:
        assert {a for a in result.schedule if a.day == d} == {a for a in after if a.day == d}
    assert all(a.day not in frozen_days for a in (*result.disruption.added, *result.disruption.removed))


def test_a_call_out_inside_the_frozen_days_stays_open_and_is_reported() -> None:
    roster = current()
    nurse = worker_on(roster, 2, "N")
    result = repair(ward(), roster, CallOut(nurse, (day(2),)), frozen_days=[day(i) for i in range(4)], time_limit=10)
    # no roster meets the N floor on day 2 without touching day 2: the fallback says so
    assert result.fallback and result.status == "FALLBACK"
    assert "INFEASIBLE" in result.note
    assert staffed(result.schedule, 2, "N") == 0
    assert not result.feasible
    assert "floor" in {v.rule_id for v in result.report.hard_violations}


def test_the_greedy_fallback_takes_over_when_the_solver_has_no_time() -> None:
    roster = current()
    nurse = worker_on(roster, 8, "N")
    result = repair(ward(), roster, CallOut(nurse, (day(8),)), time_limit=0.0)
    assert result.produced_by is ProducedBy.GREEDY_REPAIR and result.fallback
    assert result.status == "FALLBACK" and result.objective is None
    assert result.schedule.source == "greedy_repair"
    assert result.feasible
    assert staffed(result.schedule, 8, "N") == 1
    # the greedy adds people; it removes only from the line of someone whose own hard
    # rules the event broke (here the called-out nurse, whose day off would be too short)
    assert {a.staff for a in result.disruption.removed} <= {nurse}
    # its cost is still verified: checker plus change cost
    report, change_cost = verify(result.problem, result.schedule)
    assert (report, change_cost) == (result.report, result.change_cost_outside_checker)
    assert result.change_cost == 10 * result.disruption.shifts


def test_a_demand_increase_is_met() -> None:
    roster = current()
    raised = ShiftCover(day(11), "D", floor=3, target=3, cap=3, weight_under=20)
    result = repair(ward(), roster, DemandIncrease((raised,)), time_limit=10)
    assert result.produced_by is ProducedBy.OPTIMIZER
    assert result.feasible
    assert staffed(result.schedule, 11, "D") >= 3
    assert result.event_removed == ()


def test_call_out_events_become_one_call_out() -> None:
    at = datetime(2024, 1, 1, tzinfo=UTC)
    events = [
        StaffCalledOut(occurred_at=at, recorded_at=at, source_system="wfm", source_id=str(i), entity_id="B", day=day(i))
        for i in (4, 3, 4)
    ]
    assert CallOut.from_events(events) == CallOut("B", (day(3), day(4)))


def test_the_repair_problem_makes_the_called_out_nurse_unavailable() -> None:
    roster = current()
    nurse = worker_on(roster, 5, "D")
    repaired, after, removed = apply_event(ward(), roster, CallOut(nurse, (day(5),)))
    assert repaired.reference == after and len(after) == len(roster) - 1
    assert day(5) in repaired.days_off[nurse]
    assert {r.id for r in repaired.rules} >= {f"call_out:{nurse}", "change_cost"}
    assert removed[0].staff == nurse


def test_a_call_out_outside_the_horizon_is_refused() -> None:
    with pytest.raises(DomainError, match="outside the horizon"):
        repair(ward(), current(), CallOut("A", (day(40),)))


def test_a_repair_becomes_a_recommendation_with_computed_reasons() -> None:
    roster = current()
    nurse = worker_on(roster, 6, "N")
    result = repair(ward(), roster, CallOut(nurse, (day(6),)), time_limit=10, seed=1)
    recommendation = result.recommendation("r1", "4W", datetime(2024, 1, 7, 6, tzinfo=UTC))
    assert recommendation is not None
    assert recommendation.produced_by is ProducedBy.OPTIMIZER
    assert recommendation.added == result.disruption.added
    assert recommendation.disruption == (result.disruption.people, result.disruption.shifts)
    # the hole broke the N floor on day 6; the repair removes that breach, and says so
    assert recommendation.reasons[0].code == "hard.removed"
    assert "floor" in recommendation.reasons[0].text


def test_a_rule_the_engine_cannot_model_sends_the_repair_to_the_fallback() -> None:
    roster = current()
    fair = Rule("fair-nights", FairShare(kind="nights"), hard=False, weight=5)
    with_fair = replace(ward(), rules=(*ward().rules, fair))
    nurse = worker_on(roster, 8, "N")
    result = repair(with_fair, roster, CallOut(nurse, (day(8),)), time_limit=5)
    assert result.fallback
    assert "optimizer unavailable" in result.note and "fair_share" in result.note
    assert staffed(result.schedule, 8, "N") == 1
    if type(fair.spec).violations is RuleSpec.violations:
        # this branch's checker cannot evaluate fair_share yet: the result says so
        assert result.unchecked == ("fair-nights (fair_share)",)
    else:
        assert result.unchecked == ()


def test_an_infeasible_repair_says_to_unfreeze_the_day_before_breaking_the_floor() -> None:
    roster = current()
    nurse = worker_on(roster, 2, "N")
    result = repair(ward(), roster, CallOut(nurse, (day(2),)), frozen_days=[day(i) for i in range(4)], time_limit=10)
    assert result.diagnosis is not None
    # the night of day 2 can be staffed only by changing day 2 (or by giving up its floor);
    # the called-out nurse's one-day rest between frozen shifts is a second conflict
    conflicts = [[(r.family, r.day) for r in conflict] for conflict in result.diagnosis.conflicts]
    assert [("frozen_days", day(2)), ("cover_floor", day(2))] in conflicts
    assert ("frozen_days", day(2)) in [(r.family, r.day) for r in result.diagnosis.relaxations]
    assert all(r.family == "frozen_days" for r in result.diagnosis.relaxations)
    assert "to repair fully, relax first: unfreeze" in result.note


def test_a_roster_without_units_is_read_on_the_home_units() -> None:
    # staff belong to 4W but the imported roster names no unit: only the fill is a change.
    # Guards a bug: every unit-less assignment counted as removed and re-added (change cost
    # 1130 against a solver objective of 30), so repair raised a DomainError.
    on_4w = replace(ward(), staff=tuple(replace(member, home_unit="4W") for member in ward().staff))
    roster = current()
    nurse = worker_on(roster, 6, "N")
    result = repair(on_4w, roster, CallOut(nurse, (day(6),)), time_limit=10, seed=1)
    assert result.produced_by is ProducedBy.OPTIMIZER
    assert 1 <= result.disruption.shifts <= 3
    assert all(a.unit == "4W" for a in result.schedule)


@settings(max_examples=15, deadline=None)
@given(
    call_day=st.integers(0, DAYS - 1),
    pick=st.integers(0, 10),
    frozen_from=st.integers(0, DAYS - 1),
    frozen_length=st.integers(0, 5),
    time_limit=st.sampled_from([0.0, 5.0]),
)
def test_no_repair_changes_a_frozen_day(
    call_day: int, pick: int, frozen_from: int, frozen_length: int, time_limit: float
) -> None:
    # optimizer or fallback, call-out inside or outside the frozen days: frozen days keep
    # exactly the roster after the call-out
    roster = current()
    working = sorted({a.staff for a in roster if a.day == day(call_day)})
    nurse = working[pick % len(working)]
    frozen = [day(i) for i in range(frozen_from, min(DAYS, frozen_from + frozen_length))]
    result = repair(ward(), roster, CallOut(nurse, (day(call_day),)), frozen_days=frozen, time_limit=time_limit)
    after = [a for a in roster if a not in result.event_removed]
    for d in frozen:
        assert {a for a in result.schedule if a.day == d} == {a for a in after if a.day == d}
    assert not result.schedule.on(nurse, day(call_day))
