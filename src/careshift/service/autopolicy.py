"""May a unit in ``auto`` mode apply a recommendation without a click? Risk and confidence.

Both scores lie in [0, 1] and are computed only from what a recommendation stores (its
reasons, checker verdict, producing mode and the context written when it was made), so the
verdict can be recomputed and audited later. Each score is the worst of named *factors*;
the reason names the factors that failed the unit's thresholds, with their numbers.

Risk (higher is worse; the maximum of):

==================  ===================================================================
factor              score
==================  ===================================================================
hard breach         1 when the proposed roster breaks a hard rule
disruption          assignments changed / 5 (2 changes → 0.4, the old "≤ 2 changes" rule)
understaffing       rise in understaffed staff-hours / 4 (a change that leaves the ward
                    less short than now adds no risk: the risk is what the change worsens)
overtime            hours added over hour limits / 8
lead time           (8 h − hours until the first changed shift starts) / 6: a change for a
                    shift starting within 2 h leaves no time for a human to catch an error
==================  ===================================================================

Confidence (higher is better; the minimum of):

==================  ===================================================================
producer            optimiser 1; greedy repair 0.5; last approved 0.3; coverage template 0.2
solver              1 − relative gap (CP-SAT status OPTIMAL: 1; no bound known: 0.5)
data quality        gate verdict at planning time: ok 1, warn 0.6, block 0
forecast            1 − (80 % interval width / median) / 2 of the forecast behind the cover
==================  ===================================================================

A factor whose input was not recorded (no forecast stored, a fallback with no solver) is
left out rather than guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from careshift.domain.errors import DomainError
from careshift.domain.recommendations import ProducedBy, Recommendation

if TYPE_CHECKING:  # the repositories module names AutoThresholds in its ports
    from careshift.service.repositories import CheckSummary

DISRUPTION_SCALE = 5.0  # assignments changed for full risk
UNDERSTAFFING_SCALE = 4.0  # staff-hours of extra understaffing for full risk
OVERTIME_SCALE_HOURS = 8.0
LEAD_SAFE_HOURS = 8.0  # no lead-time risk from here on
LEAD_RAMP_HOURS = 6.0  # full risk at LEAD_SAFE_HOURS − LEAD_RAMP_HOURS (2 h) and closer
PRODUCER_CONFIDENCE = {
    ProducedBy.OPTIMIZER: 1.0,
    ProducedBy.GREEDY_REPAIR: 0.5,
    ProducedBy.LAST_APPROVED: 0.3,
    ProducedBy.COVERAGE_TEMPLATE: 0.2,
}
QUALITY_CONFIDENCE = {"ok": 1.0, "warn": 0.6, "block": 0.0}
NO_BOUND_CONFIDENCE = 0.5

# Context keys written when the recommendation is made (read back here).
SOLVER_STATUS = "solver_status"
SOLVER_GAP = "solver_gap"
QUALITY_VERDICT = "quality_verdict"
FORECAST_WIDTH = "forecast_width_80"
FIRST_CHANGE_AT = "first_change_at"


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


@dataclass(frozen=True)
class AutoThresholds:
    """A unit's bar for auto mode: apply only when risk ≤ ``max_risk`` and confidence ≥
    ``min_confidence`` (set with the mode by an administrator; audited)."""

    max_risk: float = 0.4
    min_confidence: float = 0.7

    def __post_init__(self) -> None:
        for name, value in (("max_risk", self.max_risk), ("min_confidence", self.min_confidence)):
            if not 0.0 <= value <= 1.0:
                raise DomainError(f"auto threshold {name} must be between 0 and 1, got {value}")


@dataclass(frozen=True)
class Factor:
    """One contribution to risk or confidence: its name, score in [0, 1] and why, with numbers."""

    name: str
    score: float
    why: str


@dataclass(frozen=True)
class AutoAssessment:
    """Risk, confidence, their factors, the thresholds they were held against, and the verdict."""

    risk: float
    confidence: float
    risk_factors: tuple[Factor, ...]
    confidence_factors: tuple[Factor, ...]
    thresholds: AutoThresholds

    @property
    def passes(self) -> bool:
        return self.risk <= self.thresholds.max_risk and self.confidence >= self.thresholds.min_confidence

    @property
    def reason(self) -> str:
        """``"not auto-applied: risk 0.60 > 0.40 threshold because 3 assignments change"`` or
        ``"passes auto thresholds: risk 0.20 ≤ 0.40, confidence 1.00 ≥ 0.70"``."""
        t = self.thresholds
        if self.passes:
            return (
                f"passes auto thresholds: risk {self.risk:.2f} ≤ {t.max_risk:.2f}, "
                f"confidence {self.confidence:.2f} ≥ {t.min_confidence:.2f}"
            )
        failed: list[str] = []
        if self.risk > t.max_risk:
            why = ", ".join(f.why for f in self.risk_factors if f.score > t.max_risk)
            failed.append(f"risk {self.risk:.2f} > {t.max_risk:.2f} threshold because {why}")
        if self.confidence < t.min_confidence:
            why = ", ".join(f.why for f in self.confidence_factors if f.score < t.min_confidence)
            failed.append(f"confidence {self.confidence:.2f} < {t.min_confidence:.2f} threshold because {why}")
        return "not auto-applied: " + "; ".join(failed)

    def as_context(self) -> dict[str, str]:
        """The assessment as recommendation context entries (strings, like the rest)."""
        return {
            "auto_risk": f"{self.risk:.2f}",
            "auto_confidence": f"{self.confidence:.2f}",
            "auto_passes": "yes" if self.passes else "no",
            "auto_reason": self.reason,
        }


def risk_factors(recommendation: Recommendation, check: CheckSummary) -> tuple[Factor, ...]:
    """The risk factors of applying ``recommendation`` (see the module table)."""
    factors: list[Factor] = []
    if not check.feasible:
        factors.append(Factor("hard_breach", 1.0, f"the roster breaks {check.hard_violations} hard rule(s)"))
    _, changes = recommendation.disruption
    factors.append(Factor("disruption", _clamp(changes / DISRUPTION_SCALE), f"{changes} assignment(s) change"))
    reasons = {r.code: r for r in recommendation.reasons}
    under = reasons.get("understaffing")
    if under is not None and under.before is not None and under.after is not None:
        rise = under.after - under.before
        factors.append(
            Factor(
                "understaffing",
                _clamp(rise / UNDERSTAFFING_SCALE),
                f"understaffing {under.before:g} → {under.after:g} staff-hours",
            )
        )
    overtime = reasons.get("overtime.added")
    if overtime is not None and overtime.before is not None and overtime.after is not None:
        hours = (overtime.after - overtime.before) / 60
        factors.append(Factor("overtime", _clamp(hours / OVERTIME_SCALE_HOURS), f"adds {hours:g} h overtime"))
    first = recommendation.context.get(FIRST_CHANGE_AT)
    if first:
        lead = (datetime.fromisoformat(first) - recommendation.created_at).total_seconds() / 3600
        score = _clamp((LEAD_SAFE_HOURS - lead) / LEAD_RAMP_HOURS)
        factors.append(Factor("lead_time", score, f"the first changed shift starts in {lead:.1f} h"))
    return tuple(factors)


def confidence_factors(recommendation: Recommendation) -> tuple[Factor, ...]:
    """The confidence factors of ``recommendation`` (see the module table)."""
    context: Mapping[str, str] = recommendation.context
    producer = recommendation.produced_by
    factors = [Factor("producer", PRODUCER_CONFIDENCE[producer], f"produced by {producer.value}")]
    status = context.get(SOLVER_STATUS)
    if producer is ProducedBy.OPTIMIZER and status:
        gap_text = context.get(SOLVER_GAP, "")
        if status == "OPTIMAL":
            factors.append(Factor("solver", 1.0, "the optimiser proved the roster optimal"))
        elif gap_text:
            gap = float(gap_text)
            factors.append(Factor("solver", _clamp(1 - gap), f"optimiser gap {gap:.0%} ({status})"))
        else:
            factors.append(Factor("solver", NO_BOUND_CONFIDENCE, f"optimiser stopped without a bound ({status})"))
    verdict = context.get(QUALITY_VERDICT)
    if verdict in QUALITY_CONFIDENCE:
        factors.append(Factor("data_quality", QUALITY_CONFIDENCE[verdict], f"data-quality verdict {verdict}"))
    width = context.get(FORECAST_WIDTH)
    if width:
        w = float(width)
        factors.append(Factor("forecast", _clamp(1 - w / 2), f"forecast 80 % interval {w:.0%} of the median wide"))
    return tuple(factors)


def assess(recommendation: Recommendation, check: CheckSummary, thresholds: AutoThresholds) -> AutoAssessment:
    """Risk and confidence of applying ``recommendation`` automatically, against ``thresholds``."""
    risks = risk_factors(recommendation, check)
    confidences = confidence_factors(recommendation)
    return AutoAssessment(
        risk=max(f.score for f in risks),
        confidence=min(f.score for f in confidences),
        risk_factors=risks,
        confidence_factors=confidences,
        thresholds=thresholds,
    )
