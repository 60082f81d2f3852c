"""Wire formats of the API (pydantic, at the edge only) and their builders from domain values."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from careshift.domain.decisions import Outcome
from careshift.domain.recommendations import ProducedBy, UnitMode
from careshift.domain.schedule import Assignment
from careshift.engine.candidates import Candidate
from careshift.service.forecasts import ForecastPoint, StoredForecast
from careshift.service.repositories import CheckSummary, StoredDecision, StoredRecommendation
from careshift.service.usecases import PlanOutcome


class AssignmentOut(BaseModel):
    staff: str
    day: date
    shift: str
    skill: str | None = None
    unit: str | None = None

    @classmethod
    def of(cls, a: Assignment) -> AssignmentOut:
        return cls(staff=a.staff, day=a.day, shift=a.shift, skill=a.skill, unit=a.unit)


class ReasonOut(BaseModel):
    code: str
    text: str
    before: float | None = None
    after: float | None = None


class CheckOut(BaseModel):
    """The checker's verdict on the proposed roster."""

    feasible: bool
    hard_violations: int
    cost: int
    hard_rules: list[str]

    @classmethod
    def of(cls, c: CheckSummary) -> CheckOut:
        return cls(feasible=c.feasible, hard_violations=c.hard_violations, cost=c.cost, hard_rules=list(c.hard_rules))


class AutoOut(BaseModel):
    """The auto-mode verdict stored with a recommendation when it was made."""

    risk: float = Field(description="0 (harmless) to 1; the worst of disruption, understaffing, overtime, lead time")
    confidence: float = Field(description="0 to 1; the weakest of producer, solver gap, data quality, forecast")
    passes: bool
    reason: str = Field(description="Why it was or was not auto-applied, with the numbers")

    @classmethod
    def of_context(cls, context: dict[str, str]) -> AutoOut | None:
        if "auto_reason" not in context:
            return None
        return cls(
            risk=float(context["auto_risk"]),
            confidence=float(context["auto_confidence"]),
            passes=context["auto_passes"] == "yes",
            reason=context["auto_reason"],
        )


class RecommendationOut(BaseModel):
    id: str
    unit: str
    status: str
    version: int
    produced_by: ProducedBy = Field(description="Which step of the fallback chain produced it")
    fallback_reason: str
    summary: str = Field(description="CDS Hooks card summary, under 140 characters")
    created_at: datetime
    reasons: list[ReasonOut]
    added: list[AssignmentOut]
    removed: list[AssignmentOut]
    people_affected: int
    assignments_changed: int
    check: CheckOut
    policy_version: str | None
    roster_version: str | None
    model_version: str | None
    feature_set: str | None
    cost_before: int | None
    cost_after: int | None
    context: dict[str, str]
    auto: AutoOut | None = Field(None, description="Risk and confidence against the unit's auto thresholds")

    @classmethod
    def of(cls, item: StoredRecommendation) -> RecommendationOut:
        rec = item.recommendation
        people, changes = rec.disruption
        return cls(
            id=rec.id,
            unit=rec.unit,
            status=item.status.value,
            version=item.version,
            produced_by=rec.produced_by,
            fallback_reason=item.fallback_reason,
            summary=rec.summary,
            created_at=rec.created_at,
            reasons=[ReasonOut(code=r.code, text=r.text, before=r.before, after=r.after) for r in rec.reasons],
            added=[AssignmentOut.of(a) for a in rec.added],
            removed=[AssignmentOut.of(a) for a in rec.removed],
            people_affected=people,
            assignments_changed=changes,
            check=CheckOut.of(item.check),
            policy_version=rec.policy_version,
            roster_version=rec.roster_version,
            model_version=rec.model_version,
            feature_set=rec.feature_set,
            cost_before=rec.cost_before,
            cost_after=rec.cost_after,
            context=dict(rec.context),
            auto=AutoOut.of_context(rec.context),
        )


class PlanOut(BaseModel):
    """The answer to a plan or repair: always the producing mode and the checker's verdict."""

    unit: str
    produced_by: ProducedBy
    check: CheckOut
    fallback_reason: str
    note: str
    recommendation: RecommendationOut | None

    @classmethod
    def of(cls, outcome: PlanOutcome) -> PlanOut:
        rec = outcome.recommendation
        return cls(
            unit=outcome.unit,
            produced_by=outcome.produced_by,
            check=CheckOut.of(outcome.check),
            fallback_reason=outcome.fallback_reason,
            note=outcome.note,
            recommendation=None if rec is None else RecommendationOut.of(rec),
        )


class DecisionIn(BaseModel):
    outcome: Outcome
    reason_code: str | None = Field(None, description="Required for overridden and deferred; see /decisions/reasons")
    comment: str = Field("", max_length=2000)


class DecisionOut(BaseModel):
    seq: int
    recommendation_id: str
    unit: str
    outcome: Outcome
    user: str
    role: str
    at: datetime
    reason_code: str | None
    comment: str

    @classmethod
    def of(cls, item: StoredDecision) -> DecisionOut:
        d = item.decision
        return cls(
            seq=item.seq,
            recommendation_id=d.recommendation_id,
            unit=item.unit,
            outcome=d.outcome,
            user=d.user,
            role=d.role,
            at=d.at,
            reason_code=d.reason_code,
            comment=d.comment,
        )


class ApprovalIn(BaseModel):
    comment: str = Field("", max_length=2000)


class ModeIn(BaseModel):
    mode: UnitMode
    reason: str = Field("", max_length=500)
    max_risk: float | None = Field(
        None, ge=0, le=1, description="Auto mode applies only recommendations with risk at most this (default 0.4)"
    )
    min_confidence: float | None = Field(
        None, ge=0, le=1, description="… and confidence at least this (default 0.7); omitted: unchanged"
    )


class ModeOut(BaseModel):
    unit: str
    mode: UnitMode
    max_risk: float
    min_confidence: float


class CandidateOut(BaseModel):
    staff: str
    eligible: bool
    cost_delta: int
    why: str
    hard_breaches: list[str]

    @classmethod
    def of(cls, c: Candidate) -> CandidateOut:
        return cls(
            staff=c.staff,
            eligible=c.eligible,
            cost_delta=c.cost_delta,
            why=c.why_not(),
            hard_breaches=[item.rule_id for item in c.hard_breaches],
        )


class StaffOut(BaseModel):
    id: str
    name: str
    roles: list[str]
    skills: list[str]
    home_unit: str | None
    float_units: list[str]


class ScheduleOut(BaseModel):
    unit: str
    source: str
    roster_version: str
    assignments: list[AssignmentOut]
    approved_at: datetime | None = None
    approved_by: str | None = None
    recommendation_id: str | None = None


class IntervalOut(BaseModel):
    lo: float
    hi: float


class ForecastPointOut(BaseModel):
    start: datetime
    skill: str | None = Field(description="null: the unit's census (patients); a skill: staff of it needed")
    mean: float
    quantiles: dict[str, float] = Field(description='By level, e.g. {"0.5": 21.0, "0.9": 25.0}')
    intervals: dict[str, IntervalOut] = Field(description='Central intervals by coverage %, e.g. {"80": {...}}')

    @classmethod
    def of(cls, p: ForecastPoint) -> ForecastPointOut:
        return cls(
            start=p.start,
            skill=p.skill,
            mean=p.mean,
            quantiles={f"{level:g}": value for level, value in sorted(p.quantiles.items())},
            intervals={str(c): IntervalOut(lo=lo, hi=hi) for c, (lo, hi) in sorted(p.intervals.items())},
        )


class QualityOut(BaseModel):
    verdict: str = Field(description="The data-quality gate's verdict when the forecast was made: ok, warn, block")
    reason: str


class ForecastRunOut(BaseModel):
    """A forecast run without its periods (the history list)."""

    id: str
    unit: str
    generated_at: datetime
    target: str
    step_minutes: int
    model_version: str
    feature_set: str
    quality: QualityOut
    first: datetime | None
    last: datetime | None
    periods: int
    width_80: float | None = Field(description="Mean 80 % interval width relative to the median")

    @classmethod
    def fields_of(cls, f: StoredForecast) -> dict[str, object]:
        return {
            "id": f.id,
            "unit": f.unit,
            "generated_at": f.generated_at,
            "target": f.target,
            "step_minutes": f.step_minutes,
            "model_version": f.model_version,
            "feature_set": f.feature_set,
            "quality": QualityOut(verdict=f.quality_verdict, reason=f.quality_reason),
            "first": f.first,
            "last": f.last,
            "periods": len(f.points),
            "width_80": f.width_80(),
        }

    @classmethod
    def of(cls, f: StoredForecast) -> ForecastRunOut:
        return cls.model_validate(cls.fields_of(f))


class ForecastOut(ForecastRunOut):
    """A forecast run with its periods (per skill and period, quantiles and intervals)."""

    points: list[ForecastPointOut]

    @classmethod
    def with_points(cls, f: StoredForecast, skill: str | None = None) -> ForecastOut:
        """All periods, or one skill's (``"census"``: the census, stored with no skill)."""
        wanted = None if skill == "census" else skill
        points = [ForecastPointOut.of(p) for p in f.points if skill is None or p.skill == wanted]
        return cls.model_validate({**cls.fields_of(f), "points": points})
