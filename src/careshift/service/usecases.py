"""Use cases of the decision service: plan, repair, rank candidates, decide, approve, modes.

Each use case opens one unit of work, changes state, writes the audit entry for every
state change in the same transaction, commits, and returns its result with the events
it raised (the message bus dispatches those). Solves happen before the transaction opens,
so no database lock is held while CP-SAT runs.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, TypeVar

from opentelemetry import trace
from opentelemetry.util.types import AttributeValue

from careshift.domain.checker import check
from careshift.domain.decisions import Decision, Outcome
from careshift.domain.explain import explain
from careshift.domain.recommendations import ProducedBy, Recommendation, UnitMode
from careshift.domain.schedule import Assignment, Schedule
from careshift.engine.candidates import Candidate, OpenShift, rank_candidates
from careshift.service import autopolicy
from careshift.service.autopolicy import AutoThresholds, assess
from careshift.service.errors import ConflictError, NotFoundError, StaleRead
from careshift.service.fallback import Proposal, propose, within_window
from careshift.service.forecasts import StoredForecast
from careshift.service.messages import (
    ApproveRecommendation,
    ChangeUnitMode,
    DecisionRecorded,
    Event,
    PlanUnit,
    RecommendationApproved,
    RecommendationMade,
    RecordDecision,
    RepairUnit,
    UnitModeChanged,
)
from careshift.service.readcache import ReadCache
from careshift.service.repositories import (
    ApprovedSchedule,
    CheckSummary,
    Clock,
    OutboxMessage,
    PlanningData,
    PlanningInput,
    QualityGate,
    RecommendationState,
    RecommendationStatus,
    Solver,
    StoredDecision,
    StoredRecommendation,
    UnitOfWork,
    UnitOfWorkFactory,
)
from careshift.telemetry.audit import record
from careshift.telemetry.tracing import span

DEFAULT_MODE = UnitMode.SHADOW
"""A unit nobody configured computes and logs only (the safe default)."""

STAFF_DECLINED_REASONS = frozenset(
    {"preference.staff-declined", "not-feasible.staff-unavailable", "outcome.staff-fatigue"}
)
"""Override reasons that say the proposed people cannot take the shifts: the next plan of the
unit keeps them off those days."""

SYSTEM_ACTOR = "careshift"


@dataclass(frozen=True)
class PlanOutcome:
    """What a plan or repair produced: a stored recommendation, or none when nothing needs
    to change; the mode and the checker's verdict are always there."""

    unit: str
    produced_by: ProducedBy
    check: CheckSummary
    recommendation: StoredRecommendation | None
    fallback_reason: str = ""
    note: str = ""


Handled = tuple[Any, list[Event]]
T = TypeVar("T")


def _found(item: T | None, recommendation_id: str) -> T:
    if item is None:
        raise NotFoundError(f"no recommendation {recommendation_id!r}; list them with GET /recommendations?unit=…")
    return item


def roster_version(schedule: Schedule | None) -> str:
    """A short content hash of a roster (which roster a recommendation was computed from)."""
    if schedule is None:
        return "empty"
    text = "\n".join(f"{a.staff}|{a.day}|{a.shift}|{a.skill}|{a.unit}" for a in schedule)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def assignment_key(unit: str, assignment: Assignment) -> str:
    """The business identifier of an assignment (stable across retries and recommendations)."""
    return "|".join((unit, assignment.staff, assignment.day.isoformat(), assignment.shift, assignment.skill or ""))


def times(planning: PlanningInput | None, assignment: Assignment) -> dict[str, str]:
    """The assignment's start and end instants (ISO 8601, with offset) on the unit's clock."""
    if planning is None:
        return {}
    problem = planning.problem
    shift = problem.shift_type(assignment.shift)
    if shift.start is None or shift.end is None:
        return {}  # the writer refuses such a change with a clear error; approval itself stands
    interval = shift.interval_on(assignment.day, problem.horizon.timezone)
    return {"start": interval.start.isoformat(), "end": interval.end.isoformat()}


def assignment_json(assignment: Assignment) -> dict[str, Any]:
    return {
        "staff": assignment.staff,
        "day": assignment.day.isoformat(),
        "shift": assignment.shift,
        "skill": assignment.skill,
        "unit": assignment.unit,
    }


_UNITS_REMEMBERED = 65536


@dataclass
class DecisionService:
    """The use cases, wired to their ports by the composition root (``service.bootstrap``)."""

    uow: UnitOfWorkFactory
    planning: PlanningData
    solver: Solver
    clock: Clock
    gate: QualityGate | None = None
    time_limit: float = 10.0
    new_id: Callable[[], str] = field(default_factory=lambda: lambda: uuid.uuid4().hex)
    reader: UnitOfWorkFactory | None = None
    """Units of work for queries (default ``uow``); a store may hand out lock-free readers."""
    current_cache: ReadCache[StoredRecommendation | None] = field(default_factory=lambda: ReadCache(0.0))
    """Each unit's current recommendation for a short while (off by default; ``build_services``
    turns it on). Emptied after every unit of work that may write."""
    _units: dict[str, str] = field(default_factory=dict, repr=False)
    """The unit of each recommendation looked up (it never changes), for access checks; emptied
    whole when it reaches ``_UNITS_REMEMBERED`` entries (a lookup then reads the database again)."""

    def _read(self) -> UnitOfWork:
        return (self.reader or self.uow)()

    @contextmanager
    def _write(self, reading: str | None = None) -> Iterator[UnitOfWork]:
        """A unit of work that may change state (``reading``: the recommendation whose state it
        reads first); cached reads are dropped once it ends."""
        unit = self.uow()
        try:
            with unit if reading is None else unit.reading(reading) as uow:
                yield uow
        finally:
            self.current_cache.invalidate()

    # -- helpers ----------------------------------------------------------------------------

    def _audit(
        self, uow: UnitOfWork, *, actor: str, scope: str, unit: str, action: str, payload: Mapping[str, Any]
    ) -> None:
        record(uow.audit, at=self.clock(), actor=actor, scope=f"{scope}@{unit}", action=action, payload=payload)

    @staticmethod
    def _mode(uow: UnitOfWork, unit: str) -> UnitMode:
        return uow.modes.get(unit) or DEFAULT_MODE

    @staticmethod
    def _state(uow: UnitOfWork, recommendation_id: str) -> RecommendationState:
        return _found(uow.recommendations.state(recommendation_id), recommendation_id)

    @staticmethod
    def _thresholds(uow: UnitOfWork, unit: str) -> AutoThresholds:
        return uow.modes.thresholds(unit) or AutoThresholds()

    @staticmethod
    def _get(uow: UnitOfWork, recommendation_id: str) -> StoredRecommendation:
        return _found(uow.recommendations.get(recommendation_id), recommendation_id)

    def _declined(self, uow: UnitOfWork, unit: str) -> dict[str, set[date]]:
        """Days that staff declined in overrides of this unit's recommendations."""
        declined: dict[str, set[date]] = {}
        for stored in uow.decisions.all(unit):
            decision = stored.decision
            if decision.outcome is Outcome.OVERRIDDEN and decision.reason_code in STAFF_DECLINED_REASONS:
                item = uow.recommendations.get(decision.recommendation_id)
                for assignment in item.recommendation.added if item is not None else ():
                    declined.setdefault(assignment.staff, set()).add(assignment.day)
        return declined

    # -- plan and repair -------------------------------------------------------------------

    def plan(self, command: PlanUnit | RepairUnit) -> Handled:
        """Plan or repair ``command.unit`` (traced as ``careshift.plan`` or ``careshift.repair``)."""
        kind = "repair" if isinstance(command, RepairUnit) else "plan"
        with span(f"careshift.{kind}", **{"careshift.unit": command.unit}) as current:
            outcome, events = self._plan(command)
            current.set_attribute("careshift.produced_by", outcome.produced_by.value)
            current.set_attribute("careshift.feasible", outcome.check.feasible)
            if outcome.recommendation is not None:
                current.set_attribute("careshift.recommendation", outcome.recommendation.id)
            return outcome, events

    def _plan(self, command: PlanUnit | RepairUnit) -> Handled:
        """Plan or repair ``command.unit`` through the fallback chain and store the recommendation.

        Refused (``ConflictError``) when the unit's mode is ``off``. In ``shadow`` mode the
        recommendation is stored as ``shadow`` (logged, not offered for a decision).
        """
        unit = command.unit
        with self._write() as uow:
            mode = self._mode(uow, unit)
            approved = uow.schedules.approved(unit)
            declined = self._declined(uow, unit)
            forecasts = uow.forecasts.for_unit(unit, limit=1)
        trace.get_current_span().set_attribute("careshift.unit_mode", mode.value)
        if mode is UnitMode.OFF:
            raise ConflictError(f"unit {unit} is switched off; an administrator can set its mode to shadow or higher")
        planning = self.planning.planning_input(unit)
        if declined:
            days_off = {staff: frozenset(days) for staff, days in planning.problem.days_off.items()}
            for staff, days in declined.items():
                days_off[staff] = days_off.get(staff, frozenset()) | frozenset(days)
            planning = replace(planning, problem=replace(planning.problem, days_off=days_off))
        if isinstance(command, RepairUnit) and command.first_day is not None:
            planning = within_window(planning, command.first_day, command.last_day or command.first_day)
        skip = ""
        noted: dict[str, str] = {}
        if self.gate is not None:
            verdict, why = self.gate.verdict(unit)
            noted[autopolicy.QUALITY_VERDICT] = verdict
            if verdict == "block":
                skip = f"data-quality gate blocks planning ({why or 'see careshift quality'})"
        if forecasts:
            # The forecast the planner was told about, so the API can show it behind the recommendation.
            noted["forecast"] = forecasts[0].id
            width = forecasts[0].width_80()
            if width is not None:
                noted[autopolicy.FORECAST_WIDTH] = f"{width:.3f}"
        if noted:
            planning = replace(planning, context={**planning.context, **noted})
        proposal = propose(
            planning,
            self.solver,
            time_limit=self.time_limit,
            approved=approved.schedule if approved is not None else None,
            template=self.planning.coverage_template(unit),
            skip_optimiser=skip,
        )
        return self._store_proposal(command, planning, proposal, mode)

    def _store_proposal(
        self, command: PlanUnit | RepairUnit, planning: PlanningInput, proposal: Proposal, mode: UnitMode
    ) -> Handled:
        unit = command.unit
        base = planning.current or Schedule(())
        removed, added = base.diff(proposal.schedule)
        summary = CheckSummary.of(proposal.report)
        kind = "repair" if isinstance(command, RepairUnit) else "plan"
        if not removed and not added:
            outcome = PlanOutcome(
                unit, proposal.produced_by, summary, None, proposal.fallback_reason, "no change needed"
            )
            return outcome, []
        reasons = explain(check(planning.problem, base), proposal.report, unit)
        context = {"kind": kind, **planning.context}
        if isinstance(command, RepairUnit) and command.causes:
            context["causes"] = ",".join(command.causes)
        if proposal.fallback_reason:
            context["fallback_reason"] = proposal.fallback_reason[:500]
        if proposal.solver_status:
            context[autopolicy.SOLVER_STATUS] = proposal.solver_status
        if proposal.gap is not None:
            context[autopolicy.SOLVER_GAP] = f"{proposal.gap:.4f}"
        starts = [times(planning, a).get("start") for a in (*added, *removed)]
        known = [datetime.fromisoformat(start) for start in starts if start]
        if known:
            context[autopolicy.FIRST_CHANGE_AT] = min(known).isoformat()
        recommendation = Recommendation(
            id=self.new_id(),
            unit=unit,
            created_at=self.clock(),
            added=tuple(sorted(added, key=Assignment.sort_key)),
            removed=tuple(sorted(removed, key=Assignment.sort_key)),
            reasons=reasons,
            produced_by=proposal.produced_by,
            policy_version=planning.problem.policy_version,
            roster_version=roster_version(planning.current),
            model_version=proposal.model_version or planning.model_version,
            feature_set=planning.feature_set,
            cost_before=check(planning.problem, base).cost,
            cost_after=proposal.report.cost,
            context=context,
        )
        status = RecommendationStatus.SHADOW if mode is UnitMode.SHADOW else RecommendationStatus.PROPOSED
        with self._write() as uow:
            # Assessed in every mode: in shadow and recommend it shows what auto mode would do.
            verdict = assess(recommendation, summary, self._thresholds(uow, unit))
            recommendation = replace(recommendation, context={**recommendation.context, **verdict.as_context()})
            stored = StoredRecommendation(
                recommendation, proposal.schedule, summary, status, 1, proposal.fallback_reason
            )
            superseded = []
            for older in uow.recommendations.for_unit(unit, limit=20):
                if older.status is RecommendationStatus.PROPOSED:
                    uow.recommendations.save(
                        replace(older, status=RecommendationStatus.SUPERSEDED, version=older.version + 1), older.version
                    )
                    superseded.append(older.id)
            uow.recommendations.add(stored)
            people, changes = recommendation.disruption
            self._audit(
                uow,
                actor=command.actor,
                scope=command.scope,
                unit=unit,
                action=f"recommendation.{kind}.created",
                payload={
                    "recommendation": recommendation.id,
                    "produced_by": proposal.produced_by.value,
                    "status": status.value,
                    "feasible": summary.feasible,
                    "cost_after": summary.cost,
                    "added": len(recommendation.added),
                    "removed": len(recommendation.removed),
                    "people": people,
                    "changes": changes,
                    "superseded": superseded,
                    "roster_version": recommendation.roster_version,
                    "policy_version": recommendation.policy_version,
                },
            )
            uow.commit()
        outcome = PlanOutcome(unit, proposal.produced_by, summary, stored, proposal.fallback_reason)
        return outcome, [RecommendationMade(recommendation.id, unit, proposal.produced_by)]

    def candidates(self, unit: str, open_shift: OpenShift) -> tuple[Candidate, ...]:
        """Everyone who could take ``open_shift`` on ``unit`` now, best first (read only)."""
        planning = self.planning.planning_input(unit)
        return rank_candidates(planning.problem, planning.current or Schedule(()), open_shift)

    # -- decisions and approval ------------------------------------------------------------

    def decide(self, command: RecordDecision) -> Handled:
        """Record a decision (traced as ``careshift.decide``; see ``_decide``)."""
        attributes = {"careshift.recommendation": command.recommendation_id, "careshift.outcome": command.outcome.value}
        with span("careshift.decide", **attributes):
            try:
                return self._decide(command)
            except StaleRead:  # another process wrote meanwhile; this time the store reads
                return self._decide(command)

    def _decide(self, command: RecordDecision) -> Handled:
        """Record accept / override / defer. Override and defer need a coded reason
        (``Decision`` refuses them without one); a recommendation is decided once, except
        that a deferred one may be decided again."""
        with self._write(reading=command.recommendation_id) as uow:
            stored = self._state(uow, command.recommendation_id)
            open_states = (RecommendationStatus.PROPOSED, RecommendationStatus.DEFERRED)
            if stored.status not in open_states:
                hint = (
                    " (shadow mode: switch the unit to recommend to act on it)"
                    if stored.status is RecommendationStatus.SHADOW
                    else ""
                )
                raise ConflictError(
                    f"recommendation {stored.id} is {stored.status.value}; "
                    f"only proposed or deferred ones take a decision{hint}"
                )
            mode = self._mode(uow, stored.unit)
            if mode in (UnitMode.OFF, UnitMode.SHADOW):
                raise ConflictError(f"unit {stored.unit} is in {mode.value} mode; decisions are not taken")
            decision = Decision(
                recommendation_id=stored.id,
                outcome=command.outcome,
                user=command.user,
                role=command.role,
                at=self.clock(),
                reason_code=command.reason_code,
                comment=command.comment,
            )
            status = RecommendationStatus(command.outcome.value)
            saved = uow.decisions.record(decision, stored.unit, status, stored.version)
            self._audit(
                uow,
                actor=command.user,
                scope=command.scope,
                unit=stored.unit,
                action=f"decision.{command.outcome.value}",
                payload={
                    "recommendation": stored.id,
                    "decision": saved.seq,
                    "role": command.role,
                    "reason_code": command.reason_code,
                    "comment": command.comment,
                },
            )
            uow.commit()
        return saved, [DecisionRecorded(stored.id, stored.unit, command.outcome)]

    def approve(self, command: ApproveRecommendation) -> Handled:
        """Approve (traced as ``careshift.approve``; see ``_approve``)."""
        with span("careshift.approve", **{"careshift.recommendation": command.recommendation_id}) as current:
            approved, events = self._approve(command)
            current.set_attribute("careshift.write_back", any(getattr(e, "write_back", False) for e in events))
            return approved, events

    def _approve(self, command: ApproveRecommendation) -> Handled:
        """Approve an accepted recommendation: it becomes the unit's approved roster and, in
        ``approve`` or ``auto`` mode, its changes are queued in the outbox for write-back
        (same transaction, so an approval is never lost nor sent twice)."""
        with self._write() as uow:
            stored = self._get(uow, command.recommendation_id)
            if stored.status is not RecommendationStatus.ACCEPTED:
                raise ConflictError(
                    f"recommendation {stored.id} is {stored.status.value}; it must be accepted before approval"
                )
            mode = self._mode(uow, stored.unit)
            write_back = mode in (UnitMode.APPROVE, UnitMode.AUTO)
            planning = self.planning.planning_input(stored.unit) if write_back else None
            now = self.clock()
            approved = replace(stored, status=RecommendationStatus.APPROVED, version=stored.version + 1)
            uow.recommendations.save(approved, stored.version)
            roster = Schedule.of(stored.schedule, source="approved", policy_version=stored.schedule.policy_version)
            uow.schedules.save_approved(ApprovedSchedule(stored.unit, roster, stored.id, now, command.user))
            queued = 0
            if write_back:
                rec = stored.recommendation
                for action, items in (("release", rec.removed), ("book", rec.added)):
                    for assignment in items:
                        business = assignment_key(stored.unit, assignment)
                        uow.outbox.add(
                            OutboxMessage(
                                key=f"{stored.id}:{action}:{business}",
                                recommendation_id=stored.id,
                                unit=stored.unit,
                                body={
                                    "action": action,
                                    "identifier": business,
                                    "assignment": assignment_json(assignment),
                                    **times(planning, assignment),
                                },
                                created_at=now,
                            )
                        )
                        queued += 1
            self._audit(
                uow,
                actor=command.user,
                scope=command.scope,
                unit=stored.unit,
                action="recommendation.approved",
                payload={
                    "recommendation": stored.id,
                    "role": command.role,
                    "mode": mode.value,
                    "write_back": write_back,
                    "queued": queued,
                    "comment": command.comment,
                },
            )
            uow.commit()
        return approved, [RecommendationApproved(stored.id, stored.unit, write_back)]

    def change_mode(self, command: ChangeUnitMode) -> Handled:
        """Switch a unit's mode at once, with new auto thresholds when given; the change, the
        thresholds in force and the reason go to the audit chain."""
        with span(
            "careshift.change_mode", **{"careshift.unit": command.unit, "careshift.unit_mode": command.mode.value}
        ):
            return self._change_mode(command)

    def _change_mode(self, command: ChangeUnitMode) -> Handled:
        with self._write() as uow:
            previous = self._mode(uow, command.unit)
            before = self._thresholds(uow, command.unit)
            after = AutoThresholds(
                before.max_risk if command.max_risk is None else command.max_risk,
                before.min_confidence if command.min_confidence is None else command.min_confidence,
            )
            uow.modes.set(command.unit, command.mode)
            uow.modes.set_thresholds(command.unit, after)
            self._audit(
                uow,
                actor=command.actor,
                scope=command.scope,
                unit=command.unit,
                action="unit.mode.changed",
                payload={
                    "from": previous.value,
                    "to": command.mode.value,
                    "reason": command.reason,
                    "max_risk": after.max_risk,
                    "min_confidence": after.min_confidence,
                },
            )
            uow.commit()
        return command.mode, [UnitModeChanged(command.unit, previous, command.mode)]

    def auto_apply(self, event: RecommendationMade) -> list[Event]:
        """In ``auto`` mode, accept and approve a recommendation whose risk and confidence pass
        the unit's thresholds (assessed when it was made; the verdict and its reason are in
        its context, so one that fails waits for a human with the reason in plain view)."""
        with self._write() as uow:
            mode = self._mode(uow, event.unit)
            stored = uow.recommendations.get(event.recommendation_id)
            thresholds = self._thresholds(uow, event.unit)
        if mode is not UnitMode.AUTO or stored is None or stored.status is not RecommendationStatus.PROPOSED:
            return []
        verdict = assess(stored.recommendation, stored.check, thresholds)
        attributes: dict[str, AttributeValue] = {
            "careshift.recommendation": stored.id,
            "careshift.auto.risk": verdict.risk,
            "careshift.auto.confidence": verdict.confidence,
            "careshift.auto.passes": verdict.passes,
        }
        with span("careshift.auto_apply", **attributes):
            if not verdict.passes:
                return []
            comment = f"auto mode: {verdict.reason}"
            _, events = self.decide(RecordDecision(stored.id, Outcome.ACCEPTED, SYSTEM_ACTOR, "auto", comment=comment))
            _, more = self.approve(ApproveRecommendation(stored.id, SYSTEM_ACTOR, "auto", comment=comment))
            return [*events, *more]

    # -- queries -----------------------------------------------------------------------------

    def mode(self, unit: str) -> UnitMode:
        with self._read() as uow:
            return self._mode(uow, unit)

    def auto_thresholds(self, unit: str) -> AutoThresholds:
        with self._read() as uow:
            return self._thresholds(uow, unit)

    def recommendation(self, recommendation_id: str) -> StoredRecommendation:
        with self._read() as uow:
            return self._get(uow, recommendation_id)

    def recommendation_state(self, recommendation_id: str) -> RecommendationState:
        """Unit, status and version of a recommendation (for access checks: its roster is not read)."""
        with self._read() as uow:
            state = self._state(uow, recommendation_id)
        if len(self._units) >= _UNITS_REMEMBERED:
            self._units.clear()
        self._units[state.id] = state.unit
        return state

    def known_unit(self, recommendation_id: str) -> str | None:
        """The unit of a recommendation already looked up by this process (no database call),
        else ``None``: a recommendation never moves to another unit."""
        return self._units.get(recommendation_id)

    def recommendations(self, unit: str, limit: int = 50) -> list[StoredRecommendation]:
        with self._read() as uow:
            return uow.recommendations.for_unit(unit, limit)

    def current(self, unit: str) -> StoredRecommendation | None:
        """The newest recommendation of ``unit`` still waiting for a decision (or deferred)."""
        return self.current_cache.get(unit, lambda: self._load_current(unit))

    def cached_current(self, unit: str) -> tuple[bool, StoredRecommendation | None]:
        """``(True, current)`` when the answer is cached (no database call), else ``(False, None)``."""
        return self.current_cache.peek(unit)

    def _load_current(self, unit: str) -> StoredRecommendation | None:
        waiting = (RecommendationStatus.PROPOSED, RecommendationStatus.DEFERRED)
        with self._read() as uow:
            found = uow.recommendations.for_unit(unit, limit=1, statuses=waiting)
        return found[0] if found else None

    def decisions(self, recommendation_id: str | None = None, unit: str | None = None) -> list[StoredDecision]:
        with self._read() as uow:
            if recommendation_id is not None:
                return uow.decisions.for_recommendation(recommendation_id)
            return uow.decisions.all(unit)

    def approved(self, unit: str) -> ApprovedSchedule | None:
        with self._read() as uow:
            return uow.schedules.approved(unit)

    def forecasts(self, unit: str, limit: int = 20) -> list[StoredForecast]:
        """The unit's stored forecast runs, newest first."""
        with self._read() as uow:
            return uow.forecasts.for_unit(unit, limit)

    def forecast(self, forecast_id: str) -> StoredForecast | None:
        with self._read() as uow:
            return uow.forecasts.get(forecast_id)
