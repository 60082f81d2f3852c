"""Decision-service use cases on in-memory ports: plan/repair through the fallback chain,
decisions, approval, modes, debounced repair, and the audit chain behind all of them."""

from __future__ import annotations

import concurrent.futures
import os
from dataclasses import replace

import pytest

from careshift.domain.checker import check
from careshift.domain.decisions import Outcome
from careshift.domain.errors import DomainError
from careshift.domain.events import StaffCalledOut
from careshift.domain.recommendations import CARD_SUMMARY_LIMIT, ProducedBy, UnitMode
from careshift.domain.schedule import Assignment, Schedule
from careshift.engine.candidates import OpenShift
from careshift.engine.fallback import FallbackResult, greedy_repair
from careshift.service.errors import ConflictError, NotFoundError, SolverFailed
from careshift.service.messages import (
    ApproveRecommendation,
    ChangeUnitMode,
    PlanUnit,
    RecordDecision,
    RepairAfterCallOut,
)
from careshift.service.repositories import OutboxState, PlanningInput, RecommendationStatus
from careshift.service.solver import PoolSolver
from careshift.service.usecases import PlanOutcome
from careshift.telemetry.audit import verify
from tests.unit.rules_roster import day
from tests.unit.service_builders import (
    UNIT,
    ScriptedSolver,
    called_out,
    current_roster,
    rig,
    slow_task,
    ward,
)


def after_call_out(r: object) -> Assignment:
    """Call out day 2's E shift on UNIT; returns the assignment removed."""
    gone = called_out(current_roster())
    r.planning.call_out(UNIT, gone.staff, gone.day)  # type: ignore[attr-defined]
    return gone


def repaired() -> Schedule:
    gone = called_out(current_roster())
    problem = ward()
    problem = replace(problem, days_off={gone.staff: frozenset({gone.day})})
    return greedy_repair(problem, Schedule.of(a for a in current_roster() if a != gone)).schedule


def test_repair_after_call_out_stores_an_explained_recommendation_from_the_optimiser() -> None:
    r = rig(ScriptedSolver(repaired()))
    gone = after_call_out(r)
    outcome: PlanOutcome = r.bus.handle(RepairAfterCallOut(UNIT, ("hl7:MSG1",), actor="alice"))
    assert outcome.produced_by is ProducedBy.OPTIMIZER
    assert outcome.check.feasible and outcome.check.hard_violations == 0
    stored = outcome.recommendation
    assert stored is not None and stored.status is RecommendationStatus.PROPOSED
    rec = stored.recommendation
    assert rec.removed == ()
    assert any(a.day == gone.day and a.shift == "E" for a in rec.added)
    assert gone.staff not in {a.staff for a in rec.added if a.day == gone.day}
    codes = [reason.code for reason in rec.reasons]
    assert "hard.removed" in codes  # the broken floor is mended, with numbers
    hard = next(reason for reason in rec.reasons if reason.code == "hard.removed")
    assert (hard.before, hard.after) == (1, 0)
    assert len(rec.summary) < CARD_SUMMARY_LIMIT
    assert rec.context["causes"] == "hl7:MSG1" and rec.context["forecast"] == "f-1"
    assert rec.feature_set == "fs-1" and rec.roster_version and rec.policy_version is None
    entries = list(r.state.audit)
    assert [e.action for e in entries] == ["unit.mode.changed", "recommendation.repair.created"]
    assert entries[-1].actor == "alice" and entries[-1].scope == "staffing.decide@4W"
    assert verify(entries).ok


def test_solver_crash_falls_back_to_the_checked_greedy_repair() -> None:
    r = rig(ScriptedSolver(error=SolverFailed("worker died")))
    after_call_out(r)
    outcome = r.bus.handle(RepairAfterCallOut(UNIT))
    assert outcome.produced_by is ProducedBy.GREEDY_REPAIR
    assert outcome.check.feasible
    assert "worker died" in outcome.fallback_reason
    stored = outcome.recommendation
    assert stored.recommendation.summary.startswith("[greedy_repair] 4W:")
    problem = r.planning.planning_input(UNIT).problem
    assert check(problem, stored.schedule).feasible


def test_optimiser_timeout_gives_a_checked_fallback_marked_as_fallback() -> None:
    # The optimiser never answers: after its time limit plus grace the chain moves on.
    solver = PoolSolver(lambda: concurrent.futures.ThreadPoolExecutor(1), task=slow_task, grace=0.1)
    r = rig(solver, time_limit=0.2)
    after_call_out(r)
    outcome = r.bus.handle(RepairAfterCallOut(UNIT))
    solver.close()
    assert outcome.produced_by is ProducedBy.GREEDY_REPAIR
    assert outcome.recommendation.recommendation.produced_by is ProducedBy.GREEDY_REPAIR
    assert "no answer within 0.3 s" in outcome.fallback_reason
    problem = r.planning.planning_input(UNIT).problem
    report = check(problem, outcome.recommendation.schedule)
    assert report.feasible and outcome.check.feasible and outcome.check.cost == report.cost


def kill_worker(*args: object) -> object:
    """The optimiser's worker process dies mid-solve (as if killed by the OOM killer)."""
    os._exit(9)


def test_a_killed_optimiser_process_gives_a_checked_fallback_and_the_pool_recovers() -> None:
    solver = PoolSolver(lambda: concurrent.futures.ProcessPoolExecutor(1), task=kill_worker)
    r = rig(solver)
    after_call_out(r)
    outcome = r.bus.handle(RepairAfterCallOut(UNIT))
    assert outcome.produced_by is ProducedBy.GREEDY_REPAIR and outcome.check.feasible
    assert "worker process died" in outcome.fallback_reason
    with pytest.raises(SolverFailed):  # a new pool was built: it fails the same way, not "pool broken"
        solver.solve(ward(), hint=None, time_limit=1)
    solver.close()


def test_quality_gate_block_skips_the_optimiser() -> None:
    solver = ScriptedSolver(repaired())
    r = rig(solver)
    r.gate.verdicts[UNIT] = ("block", "census of 4W stale for 13 h")
    after_call_out(r)
    outcome = r.bus.handle(RepairAfterCallOut(UNIT))
    assert solver.calls == 0
    assert outcome.produced_by is ProducedBy.GREEDY_REPAIR
    assert "census of 4W stale" in outcome.fallback_reason


def test_chain_reaches_last_approved_then_template_when_greedy_cannot_mend_a_hard_breach(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A works 7 days in a row in the live roster, a hard breach; the greedy step (stubbed here
    # to leave the roster as it is, as it must when nobody can be moved) cannot mend it.
    r = rig(ScriptedSolver(error=SolverFailed("down")))
    base = current_roster()
    bad = Schedule.of([*base, *(Assignment("A", day(i), "D") for i in range(7) if not base.on("A", day(i)))])

    def stuck_greedy(problem: object, current: Schedule) -> FallbackResult:
        return FallbackResult(current, check(problem, current), ())  # type: ignore[arg-type]

    monkeypatch.setattr("careshift.service.fallback.greedy_repair", stuck_greedy)
    r.planning.inputs[UNIT] = PlanningInput(ward(), bad)
    r.planning.templates[UNIT] = base
    outcome = r.bus.handle(PlanUnit(UNIT))
    assert outcome.produced_by is ProducedBy.COVERAGE_TEMPLATE and outcome.check.feasible
    assert "greedy_repair roster has" in outcome.fallback_reason
    # once a roster is approved, it comes before the template
    rec = outcome.recommendation
    r.bus.handle(RecordDecision(rec.id, Outcome.ACCEPTED, "bob", "charge"))
    r.bus.handle(ApproveRecommendation(rec.id, "carol", "manager"))
    r.planning.templates.pop(UNIT)
    second = r.bus.handle(PlanUnit(UNIT))
    assert second.produced_by is ProducedBy.LAST_APPROVED and second.check.feasible
    # and with neither, the least-bad roster is proposed with the checker's verdict in view
    r.state.approved.clear()
    third = r.bus.handle(PlanUnit(UNIT))
    assert third.produced_by is ProducedBy.GREEDY_REPAIR and not third.check.feasible
    assert third.check.hard_rules == ("run",) and "fewest breaches" in third.fallback_reason


def test_decide_and_approve_queue_the_write_back_and_audit_every_step() -> None:
    r = rig(ScriptedSolver(repaired()))
    after_call_out(r)
    rec = r.bus.handle(RepairAfterCallOut(UNIT)).recommendation
    with pytest.raises(ConflictError, match="must be accepted"):
        r.bus.handle(ApproveRecommendation(rec.id, "carol", "manager"))
    decision = r.bus.handle(RecordDecision(rec.id, Outcome.ACCEPTED, "bob", "charge nurse"))
    assert decision.decision.user == "bob" and decision.decision.at == r.clock.now
    with pytest.raises(ConflictError, match="accepted"):
        r.bus.handle(RecordDecision(rec.id, Outcome.ACCEPTED, "bob", "charge nurse"))
    approved = r.bus.handle(ApproveRecommendation(rec.id, "carol", "manager"))
    assert approved.status is RecommendationStatus.APPROVED
    assert r.service.approved(UNIT).schedule.assignments == rec.schedule.assignments
    outbox = list(r.state.outbox.values())
    assert len(outbox) == len(rec.recommendation.added) + len(rec.recommendation.removed)
    assert all(m.state is OutboxState.PENDING and m.body["action"] == "book" for m in outbox)
    actions = [e.action for e in r.state.audit]
    assert actions[-3:] == ["recommendation.repair.created", "decision.accepted", "recommendation.approved"]
    assert r.state.audit[-1].payload["queued"] == len(outbox)
    assert verify(r.state.audit).ok


def test_override_needs_a_coded_reason_and_the_next_repair_respects_it() -> None:
    r = rig(ScriptedSolver(error=SolverFailed("down")))
    gone = after_call_out(r)
    rec = r.bus.handle(RepairAfterCallOut(UNIT)).recommendation
    with pytest.raises(DomainError, match="needs a reason code"):
        r.bus.handle(RecordDecision(rec.id, Outcome.OVERRIDDEN, "bob", "charge"))
    with pytest.raises(DomainError, match="unknown reason code"):
        r.bus.handle(RecordDecision(rec.id, Outcome.OVERRIDDEN, "bob", "charge", reason_code="because"))
    r.bus.handle(
        RecordDecision(rec.id, Outcome.OVERRIDDEN, "bob", "charge", "preference.staff-declined", "Ann said no")
    )
    assert r.service.recommendation(rec.id).status is RecommendationStatus.OVERRIDDEN
    declined = {(a.staff, a.day) for a in rec.recommendation.added}
    second = r.bus.handle(RepairAfterCallOut(UNIT)).recommendation
    assert second.id != rec.id
    assert not declined & {(a.staff, a.day) for a in second.recommendation.added}
    assert any(a.day == gone.day and a.shift == "E" for a in second.recommendation.added)
    assert [d.decision.reason_code for d in r.service.decisions(unit=UNIT)] == ["preference.staff-declined"]


def test_defer_keeps_it_open_and_a_newer_recommendation_supersedes_a_proposed_one() -> None:
    r = rig(ScriptedSolver(error=SolverFailed("down")))
    after_call_out(r)
    first = r.bus.handle(RepairAfterCallOut(UNIT)).recommendation
    r.bus.handle(RecordDecision(first.id, Outcome.DEFERRED, "bob", "charge", "context.need-more-info"))
    assert r.service.current(UNIT).id == first.id
    r.bus.handle(RecordDecision(first.id, Outcome.ACCEPTED, "bob", "charge"))
    assert r.service.current(UNIT) is None
    r2 = rig(ScriptedSolver(error=SolverFailed("down")))
    after_call_out(r2)
    a = r2.bus.handle(RepairAfterCallOut(UNIT)).recommendation
    b = r2.bus.handle(RepairAfterCallOut(UNIT)).recommendation
    assert r2.service.recommendation(a.id).status is RecommendationStatus.SUPERSEDED
    assert r2.service.current(UNIT).id == b.id


def test_modes_off_shadow_recommend() -> None:
    r = rig(ScriptedSolver(error=SolverFailed("down")), mode=None)
    after_call_out(r)
    shadow = r.bus.handle(RepairAfterCallOut(UNIT)).recommendation  # default mode: shadow
    assert shadow.status is RecommendationStatus.SHADOW
    with pytest.raises(ConflictError, match="shadow"):
        r.bus.handle(RecordDecision(shadow.id, Outcome.ACCEPTED, "bob", "charge"))
    r.bus.handle(ChangeUnitMode(UNIT, UnitMode.OFF, actor="admin", reason="go-live postponed"))
    with pytest.raises(ConflictError, match="switched off"):
        r.bus.handle(RepairAfterCallOut(UNIT))
    r.bus.handle(ChangeUnitMode(UNIT, UnitMode.RECOMMEND, actor="admin"))
    rec = r.bus.handle(RepairAfterCallOut(UNIT)).recommendation
    r.bus.handle(RecordDecision(rec.id, Outcome.ACCEPTED, "bob", "charge"))
    approved = r.bus.handle(ApproveRecommendation(rec.id, "carol", "manager"))
    assert approved.status is RecommendationStatus.APPROVED and not r.state.outbox  # recommend: no write-back
    changes = [e.payload for e in r.state.audit if e.action == "unit.mode.changed"]
    assert [(c["from"], c["to"]) for c in changes] == [("shadow", "off"), ("off", "recommend")]
    assert changes[0]["reason"] == "go-live postponed"


def test_auto_mode_applies_a_small_optimiser_change_without_a_click() -> None:
    r = rig(ScriptedSolver(repaired()), mode=UnitMode.AUTO)
    after_call_out(r)
    rec = r.bus.handle(RepairAfterCallOut(UNIT)).recommendation
    assert r.service.recommendation(rec.id).status is RecommendationStatus.APPROVED
    assert [d.decision.user for d in r.service.decisions(rec.id)] == ["careshift"]
    assert r.state.outbox


def test_call_outs_are_debounced_per_unit() -> None:
    solver = ScriptedSolver(error=SolverFailed("down"))
    r = rig(solver)
    gone = after_call_out(r)
    for n in range(3):
        r.bus.handle(
            StaffCalledOut(
                occurred_at=r.clock.now,
                recorded_at=r.clock.now,
                source_system="hl7",
                source_id=f"MSG{n}",
                entity_id=gone.staff,
                unit=UNIT,
                day=gone.day,
            )
        )
        r.clock.advance(10)
    assert r.bus.tick() == []  # 10 s after the last one: still inside the 30 s quiet window
    r.clock.advance(25)
    outcomes = r.bus.tick()
    assert len(outcomes) == 1 and outcomes[0].recommendation is not None
    assert outcomes[0].recommendation.recommendation.context["causes"] == "hl7:MSG0,hl7:MSG1,hl7:MSG2"
    assert r.bus.tick() == []


def test_failed_use_case_leaves_nothing_behind() -> None:
    r = rig(ScriptedSolver(error=SolverFailed("down")))
    with pytest.raises(NotFoundError):
        r.bus.handle(RecordDecision("nope", Outcome.ACCEPTED, "bob", "charge"))
    assert not r.state.decisions and [e.action for e in r.state.audit] == ["unit.mode.changed"]


def test_no_change_needed_gives_no_recommendation_but_says_which_mode_answered() -> None:
    r = rig(ScriptedSolver(current_roster()))
    outcome = r.bus.handle(PlanUnit(UNIT))
    assert outcome.recommendation is None and outcome.note == "no change needed"
    assert outcome.produced_by is ProducedBy.OPTIMIZER and outcome.check.feasible


def test_candidates_for_an_open_shift_rank_by_exact_cost() -> None:
    r = rig(ScriptedSolver(error=SolverFailed("down")))
    gone = after_call_out(r)
    ranked = r.service.candidates(UNIT, OpenShift(gone.day, gone.shift))
    assert ranked and ranked[0].eligible
    assert gone.staff not in [c.staff for c in ranked if c.eligible]  # called out: their day is off
    deltas = [c.cost_delta for c in ranked if c.eligible]
    assert deltas == sorted(deltas)
