"""Demand-triggered repairs through the bus: the watch notes the unit with its cause, the
debouncer hands it to the ticker, and the repair changes only the affected window."""

from __future__ import annotations

from datetime import timedelta

from careshift.adapters.store import MemoryStore
from careshift.domain.events import PatientArrived
from careshift.domain.schedule import Schedule
from careshift.domain.triggers import TriggerPolicy, UnitTriggers
from careshift.service.errors import SolverFailed
from careshift.service.messages import RepairAfterDemandChange
from careshift.service.triggers import DemandWatch
from tests.unit.rules_roster import day
from tests.unit.service_builders import UNIT, ScriptedSolver, called_out, current_roster, rig
from tests.unit.test_service_usecases import after_call_out, repaired


def reshuffled_outside(days: set[int]) -> Schedule:
    """The repaired roster, but with everyone's shifts on ``days`` dropped (an unwanted change)."""
    return Schedule.of(a for a in repaired() if a.day not in {day(i) for i in days})


def test_a_windowed_repair_keeps_the_current_roster_outside_the_window() -> None:
    r = rig(ScriptedSolver(reshuffled_outside({5, 6})))
    gone = after_call_out(r)
    command = RepairAfterDemandChange(UNIT, ("census on 4W rose from 3 to 8 in 1 h",), day(1), day(3))
    outcome = r.bus.handle(command)
    stored = outcome.recommendation
    assert stored is not None and outcome.check.feasible
    rec = stored.recommendation
    changed = {a.day for a in (*rec.added, *rec.removed)}
    assert changed and changed <= {day(1), day(2), day(3)}
    assert any(a.day == gone.day and a.shift == "E" for a in rec.added)  # the hole in the window is filled
    assert rec.context["window"] == f"{day(1)}..{day(3)}"
    assert rec.context["causes"] == "census on 4W rose from 3 to 8 in 1 h" and rec.context["kind"] == "repair"
    assert {a for a in stored.schedule if a.day >= day(5)} == {a for a in current_roster() if a.day >= day(5)}


def test_the_greedy_fallback_also_stays_inside_the_window() -> None:
    r = rig(ScriptedSolver(error=SolverFailed("down")))
    after_call_out(r)
    outcome = r.bus.handle(RepairAfterDemandChange(UNIT, ("ED surge",), day(2), day(2)))
    stored = outcome.recommendation
    assert stored is not None
    assert {a.day for a in (*stored.recommendation.added, *stored.recommendation.removed)} <= {day(2)}


def test_a_window_before_the_hole_leaves_it_for_the_charge_nurse() -> None:
    r = rig(ScriptedSolver(repaired()))
    gone = after_call_out(r)
    outcome = r.bus.handle(RepairAfterDemandChange(UNIT, ("census",), day(4), day(5)))
    added = outcome.recommendation.recommendation.added if outcome.recommendation else ()
    assert not any(a.day == gone.day for a in added)


def test_a_census_spike_in_the_log_becomes_a_debounced_repair_with_its_cause() -> None:
    r = rig(ScriptedSolver(repaired()))
    gone = called_out(current_roster())
    after_call_out(r)
    store = MemoryStore()
    policy = TriggerPolicy(UnitTriggers(census_rise_patients=4, census_rise_percent=None, repair_days=3))
    r.bus.watch = DemandWatch(store, policy)
    arrivals = [
        PatientArrived(
            occurred_at=r.clock.now + timedelta(minutes=5 * n),
            recorded_at=r.clock.now + timedelta(minutes=5 * n),
            source_system="hl7v2:EPIC@GENHOSP",
            source_id=f"ADM{n}",
            entity_id=f"enc-{n}",
            unit=UNIT,
            patient_class="I",
        )
        for n in range(5)
    ]
    store.append(arrivals)
    r.bus.take(arrivals[:3])
    assert r.bus.debouncer.pending() == {}  # +3: below the threshold
    r.bus.take(arrivals[3:])
    assert r.bus.debouncer.pending() == {UNIT: 1}
    r.clock.advance(29)
    assert r.bus.tick() == []
    r.clock.advance(1)
    (outcome,) = r.bus.tick()
    rec = outcome.recommendation.recommendation
    assert rec.context["causes"] == "census on 4W rose from 0 to 5 in 20 min (threshold +4 patients in 2 h)"
    assert rec.context["window"] == f"{day(0)}..{day(2)}" and gone.day == day(2)
    assert any(a.day == gone.day for a in rec.added)
