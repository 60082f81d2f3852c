"""Wire formats of the API (pydantic, at the edge only) and their builders from domain values."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from careshift.domain.decisions import Outcome
from careshift.domain.recommendations import ProducedBy, UnitMode
from careshift.domain.schedule import Assignment
from careshift.engine.candidates import Candidate
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


class ModeOut(BaseModel):
    unit: str
    mode: UnitMode


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
