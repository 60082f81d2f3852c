"""Auto mode by risk and confidence: each factor on a hand-built recommendation, and the
use case applying or holding a recommendation by the unit's thresholds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from careshift.domain.errors import DomainError
from careshift.domain.recommendations import ProducedBy, ReasonStatement, Recommendation, UnitMode
from careshift.domain.schedule import Assignment
from careshift.service.autopolicy import AutoThresholds, assess
from careshift.service.errors import SolverFailed
from careshift.service.messages import ChangeUnitMode, RepairAfterCallOut
from careshift.service.repositories import CheckSummary, RecommendationStatus
from tests.unit.rules_roster import day
from tests.unit.service_builders import UNIT, ScriptedSolver, called_out, current_roster, rig
from tests.unit.test_service_usecases import after_call_out, repaired

MADE = datetime(2024, 1, 1, 6, tzinfo=UTC)
FEASIBLE = CheckSummary(True, 0, 10)
OPTIMAL = {"solver_status": "OPTIMAL", "solver_gap": "0.0000"}


def made(
    changes: int = 1,
    *,
    produced_by: ProducedBy = ProducedBy.OPTIMIZER,
    reasons: tuple[ReasonStatement, ...] = (),
    **context: str,
) -> Recommendation:
    added = tuple(Assignment(f"N{n}", day(3), "D") for n in range(changes))
    return Recommendation(
        "r1", UNIT, MADE, added, (), reasons, produced_by, None, context={**OPTIMAL, **context} if context else OPTIMAL
    )


def test_a_small_optimal_change_passes_the_default_thresholds() -> None:
    verdict = assess(made(2), FEASIBLE, AutoThresholds())
    assert (verdict.risk, verdict.confidence, verdict.passes) == (0.4, 1.0, True)
    assert verdict.reason == "passes auto thresholds: risk 0.40 ≤ 0.40, confidence 1.00 ≥ 0.70"


def test_three_changes_are_too_disruptive_for_the_default_risk() -> None:
    verdict = assess(made(3), FEASIBLE, AutoThresholds())
    assert verdict.risk == pytest.approx(0.6) and not verdict.passes
    assert verdict.reason == "not auto-applied: risk 0.60 > 0.40 threshold because 3 assignment(s) change"
    assert assess(made(3), FEASIBLE, AutoThresholds(max_risk=0.6)).passes


def test_a_hard_breach_is_full_risk() -> None:
    verdict = assess(made(1), CheckSummary(False, 2, 10, ("floor",)), AutoThresholds(max_risk=0.9))
    assert verdict.risk == 1.0 and "the roster breaks 2 hard rule(s)" in verdict.reason


def test_rising_understaffing_and_added_overtime_are_risks() -> None:
    worse = (
        ReasonStatement("understaffing", "increases understaffing", 1.0, 3.0),
        ReasonStatement("overtime.added", "adds 6 h over hour limits", 0.0, 360.0),
    )
    verdict = assess(made(1, reasons=worse), FEASIBLE, AutoThresholds())
    scores = {f.name: f.score for f in verdict.risk_factors}
    assert scores == {"disruption": 0.2, "understaffing": 0.5, "overtime": 0.75}
    assert verdict.risk == 0.75
    assert "understaffing 1 → 3 staff-hours, adds 6 h overtime" in verdict.reason
    better = (ReasonStatement("understaffing", "reduces understaffing", 3.0, 1.0),)
    assert assess(made(1, reasons=better), FEASIBLE, AutoThresholds()).risk == pytest.approx(0.2)


def test_a_change_to_a_shift_starting_soon_is_risky() -> None:
    soon = (MADE + timedelta(hours=3)).isoformat()
    verdict = assess(made(1, first_change_at=soon), FEASIBLE, AutoThresholds())
    assert verdict.risk == pytest.approx(5 / 6) and "the first changed shift starts in 3.0 h" in verdict.reason
    later = (MADE + timedelta(hours=30)).isoformat()
    assert assess(made(1, first_change_at=later), FEASIBLE, AutoThresholds()).passes


def test_fallbacks_gaps_bad_data_and_wide_forecasts_lower_confidence() -> None:
    greedy = assess(made(1, produced_by=ProducedBy.GREEDY_REPAIR), FEASIBLE, AutoThresholds())
    assert greedy.confidence == 0.5
    assert greedy.reason == "not auto-applied: confidence 0.50 < 0.70 threshold because produced by greedy_repair"
    gap = assess(made(1, solver_status="FEASIBLE", solver_gap="0.2500"), FEASIBLE, AutoThresholds())
    assert gap.confidence == 0.75 and gap.passes
    unbounded = assess(made(1, solver_status="UNKNOWN", solver_gap=""), FEASIBLE, AutoThresholds())
    assert unbounded.confidence == 0.5 and "optimiser stopped without a bound" in unbounded.reason
    warned = assess(made(1, quality_verdict="warn"), FEASIBLE, AutoThresholds())
    assert warned.confidence == 0.6 and "data-quality verdict warn" in warned.reason
    assert assess(made(1, quality_verdict="warn"), FEASIBLE, AutoThresholds(min_confidence=0.6)).passes
    wide = assess(made(1, forecast_width_80="0.900"), FEASIBLE, AutoThresholds())
    assert wide.confidence == pytest.approx(0.55) and "forecast 80 % interval 90% of the median wide" in wide.reason
    both = assess(made(4, produced_by=ProducedBy.COVERAGE_TEMPLATE), FEASIBLE, AutoThresholds())
    assert both.reason.startswith("not auto-applied: risk 0.80 > 0.40 threshold because 4 assignment(s) change; ")
    assert both.reason.endswith("confidence 0.20 < 0.70 threshold because produced by coverage_template")


def test_thresholds_outside_zero_to_one_are_refused() -> None:
    with pytest.raises(DomainError, match="max_risk must be between 0 and 1, got 1.5"):
        AutoThresholds(max_risk=1.5)
    with pytest.raises(DomainError, match="min_confidence"):
        AutoThresholds(min_confidence=-0.1)


# -- the use case ---------------------------------------------------------------------------


def test_auto_mode_holds_a_recommendation_above_the_units_risk_threshold_and_says_why() -> None:
    r = rig(ScriptedSolver(repaired()), mode=None)
    r.bus.handle(ChangeUnitMode(UNIT, UnitMode.AUTO, actor="admin", reason="pilot", max_risk=0.1))
    after_call_out(r)
    held = r.bus.handle(RepairAfterCallOut(UNIT)).recommendation
    assert r.service.recommendation(held.id).status is RecommendationStatus.PROPOSED
    _, changes = held.recommendation.disruption
    assert held.recommendation.context["auto_passes"] == "no"
    assert held.recommendation.context["auto_reason"] == (
        f"not auto-applied: risk {changes / 5:.2f} > 0.10 threshold because {changes} assignment(s) change"
    )
    assert not r.service.decisions(held.id) and not r.state.outbox

    r.bus.handle(ChangeUnitMode(UNIT, UnitMode.AUTO, actor="admin", reason="widen", max_risk=0.5))
    applied = r.bus.handle(RepairAfterCallOut(UNIT)).recommendation
    assert r.service.recommendation(applied.id).status is RecommendationStatus.APPROVED
    decision = r.service.decisions(applied.id)[0].decision
    assert decision.user == "careshift" and decision.comment.startswith("auto mode: passes auto thresholds: risk")
    changes_log = [e.payload for e in r.state.audit if e.action == "unit.mode.changed"]
    assert [(c["max_risk"], c["min_confidence"]) for c in changes_log] == [(0.1, 0.7), (0.5, 0.7)]
    assert r.service.auto_thresholds(UNIT) == AutoThresholds(0.5, 0.7)


def test_auto_mode_holds_a_fallback_and_a_warned_gate_unless_the_confidence_bar_allows() -> None:
    r = rig(ScriptedSolver(error=SolverFailed("down")), mode=UnitMode.AUTO)
    after_call_out(r)
    fallback = r.bus.handle(RepairAfterCallOut(UNIT)).recommendation
    assert r.service.recommendation(fallback.id).status is RecommendationStatus.PROPOSED
    assert "because produced by greedy_repair" in fallback.recommendation.context["auto_reason"]

    r = rig(ScriptedSolver(repaired()), mode=UnitMode.AUTO)
    r.gate.verdicts[UNIT] = ("warn", "stale census")
    after_call_out(r)
    warned = r.bus.handle(RepairAfterCallOut(UNIT)).recommendation
    assert r.service.recommendation(warned.id).status is RecommendationStatus.PROPOSED
    assert warned.recommendation.context["quality_verdict"] == "warn"
    assert (
        "confidence 0.60 < 0.70 threshold because data-quality verdict warn"
        in warned.recommendation.context["auto_reason"]
    )
    r.bus.handle(ChangeUnitMode(UNIT, UnitMode.AUTO, actor="admin", min_confidence=0.6))
    again = r.bus.handle(RepairAfterCallOut(UNIT)).recommendation
    assert r.service.recommendation(again.id).status is RecommendationStatus.APPROVED


def test_recommend_mode_records_what_auto_mode_would_do_but_applies_nothing() -> None:
    r = rig(ScriptedSolver(repaired()), mode=UnitMode.RECOMMEND)
    gone = called_out(current_roster())
    r.planning.call_out(UNIT, gone.staff, gone.day)
    rec = r.bus.handle(RepairAfterCallOut(UNIT)).recommendation
    assert rec.recommendation.context["auto_passes"] == "yes"
    assert r.service.recommendation(rec.id).status is RecommendationStatus.PROPOSED


def test_thresholds_are_set_with_the_mode_over_http_and_the_verdict_is_shown() -> None:
    from tests.unit.test_service_api import api, bearer

    r = rig(ScriptedSolver(repaired()), mode=None)
    client = api(r)
    admin = bearer("staffing.admin", subject="root")
    body = {"mode": "auto", "reason": "pilot", "max_risk": 0.1, "min_confidence": 0.9}
    assert client.put(f"/units/{UNIT}/mode", json=body, headers=admin).json() == {
        "unit": UNIT,
        "mode": "auto",
        "max_risk": 0.1,
        "min_confidence": 0.9,
    }
    bad = client.put(f"/units/{UNIT}/mode", json={"mode": "auto", "max_risk": 1.5}, headers=admin)
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["body", "max_risk"]
    after_call_out(r)
    decider = bearer("staffing.read", "staffing.decide", units=[UNIT])
    plan = client.post(f"/units/{UNIT}/repair", headers=decider).json()
    auto = plan["recommendation"]["auto"]
    assert auto["passes"] is False and auto["reason"].startswith(
        "not auto-applied: risk 0.40 > 0.10 threshold because 2 assignment(s)"
    )
    current = client.get(f"/units/{UNIT}/recommendations/current", headers=decider).json()
    assert current["id"] == plan["recommendation"]["id"] and current["auto"] == auto
