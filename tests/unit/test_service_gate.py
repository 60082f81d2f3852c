"""The quality gate behind the service: a block on a unit (or hospital-wide) skips the optimiser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from careshift.adapters.csv.memory import InMemoryReferenceData
from careshift.adapters.store.memory import MemoryStore
from careshift.domain.recommendations import ProducedBy
from careshift.service.gate import AssessedGate, store_gate
from careshift.service.messages import PlanUnit
from careshift.service.quality import QualityFinding, QualityReport, QualityThresholds, Severity, Verdict
from tests.unit.service_builders import OTHER, UNIT, Clock, ScriptedSolver, current_roster, rig

NOW = datetime(2024, 1, 1, 6, tzinfo=UTC)


def report(*findings: QualityFinding) -> QualityReport:
    verdict = Verdict.BLOCK if any(f.severity is Severity.BLOCK for f in findings) else Verdict.OK
    return QualityReport(NOW, findings, verdict, {}, {}, QualityThresholds())


def test_a_block_naming_one_unit_blocks_only_that_unit_and_is_cached() -> None:
    calls: list[datetime] = []
    stale = QualityFinding("stale_census", Severity.BLOCK, f"census {UNIT}", "no census for 13 h", "fix the feed")

    def assess_now(now: datetime) -> QualityReport:
        calls.append(now)
        return report(stale)

    clock = Clock(NOW)
    gate = AssessedGate(assess_now, clock, lambda: [UNIT, OTHER])
    assert gate.verdict(UNIT) == ("block", "stale_census: no census for 13 h")
    assert gate.verdict(OTHER)[0] == "warn"
    clock.advance(30)
    gate.verdict(UNIT)
    assert len(calls) == 1
    clock.now += timedelta(minutes=2)
    gate.verdict(UNIT)
    assert len(calls) == 2


def test_an_empty_store_blocks_every_unit_and_the_service_falls_back() -> None:
    r = rig(ScriptedSolver(current_roster()))
    gate = store_gate(MemoryStore(), InMemoryReferenceData(), r.clock, r.planning.units)
    verdict, why = gate.verdict(UNIT)
    assert verdict == "block" and why
    r.service.gate = gate
    outcome = r.bus.handle(PlanUnit(UNIT))
    assert outcome.produced_by is ProducedBy.GREEDY_REPAIR and "data-quality gate blocks" in outcome.fallback_reason
    assert r.solver.calls == 0  # type: ignore[attr-defined]
