"""The decision service on the real store (SQLite file and PostgreSQL): the whole decision
chain persists, the audit chain verifies from the database, and tampering is detected."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from careshift.adapters.store.decisions import AUDIT_LOCK_KEY, SqlAuditView, SqlDecisionStore
from careshift.adapters.store.durability import PostgresGroupSync
from careshift.domain.decisions import Decision, Outcome
from careshift.domain.errors import ServiceUnavailableError
from careshift.domain.recommendations import ProducedBy, UnitMode
from careshift.service.bus import MessageBus
from careshift.service.commits import deferred_durability
from careshift.service.errors import ConflictError, SolverFailed
from careshift.service.memory import MemoryPlanningData
from careshift.service.messages import ApproveRecommendation, ChangeUnitMode, RecordDecision, RepairAfterCallOut
from careshift.service.repositories import (
    OutboxState,
    PlanningInput,
    RecommendationStatus,
    StoredDecision,
    StoredRecommendation,
)
from careshift.service.usecases import DecisionService
from careshift.telemetry.audit import record, verify
from tests.integration.store_support import postgres_schema_url, sqlite_url
from tests.unit.service_builders import UNIT, Clock, ScriptedSolver, called_out, current_roster, ward


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDecisionStore]:
    if request.param == "sqlite":
        opened = SqlDecisionStore(sqlite_url(tmp_path))
        yield opened
        opened.close()
        return
    with postgres_schema_url() as url:
        opened = SqlDecisionStore(url)
        yield opened
        opened.close()


def service_on(store: SqlDecisionStore) -> tuple[DecisionService, MessageBus, MemoryPlanningData]:
    planning = MemoryPlanningData({UNIT: PlanningInput(ward(), current_roster(), {"forecast": "f-1"})})
    gone = called_out(current_roster())
    planning.call_out(UNIT, gone.staff, gone.day)
    ids = iter(f"rec-{n}" for n in range(1, 100))
    service = DecisionService(
        store.unit_of_work, planning, ScriptedSolver(error=SolverFailed("down")), Clock(), new_id=lambda: next(ids)
    )
    return service, MessageBus(service), planning


def proposed(store: SqlDecisionStore) -> tuple[DecisionService, MessageBus, StoredRecommendation]:
    """A service on ``store`` with the unit in recommend mode and one repair waiting for a decision."""
    service, bus, _ = service_on(store)
    bus.handle(ChangeUnitMode(UNIT, UnitMode.RECOMMEND, actor="admin"))
    return service, bus, bus.handle(RepairAfterCallOut(UNIT)).recommendation


def test_decision_chain_persists_and_the_audit_chain_verifies(store: SqlDecisionStore) -> None:
    service, bus, _ = service_on(store)
    bus.handle(ChangeUnitMode(UNIT, UnitMode.APPROVE, actor="admin", reason="go live"))
    first = bus.handle(RepairAfterCallOut(UNIT, ("hl7:A",), actor="alice")).recommendation
    assert first.recommendation.produced_by is ProducedBy.GREEDY_REPAIR
    bus.handle(RecordDecision(first.id, Outcome.OVERRIDDEN, "bob", "charge", "preference.staff-declined", "said no"))
    second = bus.handle(RepairAfterCallOut(UNIT, ("hl7:A",), actor="alice")).recommendation
    bus.handle(RecordDecision(second.id, Outcome.ACCEPTED, "bob", "charge"))
    bus.handle(ApproveRecommendation(second.id, "carol", "manager"))

    # a fresh service on the same database sees everything
    again, _, _ = service_on(store)
    loaded = again.recommendation(second.id)
    assert loaded.status is RecommendationStatus.APPROVED and loaded.version == 3
    assert loaded.recommendation == second.recommendation
    assert loaded.schedule == second.schedule and loaded.check == second.check
    assert again.recommendation(first.id).status is RecommendationStatus.OVERRIDDEN
    assert [(d.decision.outcome, d.decision.reason_code) for d in again.decisions(unit=UNIT)] == [
        (Outcome.OVERRIDDEN, "preference.staff-declined"),
        (Outcome.ACCEPTED, None),
    ]
    assert again.approved(UNIT).schedule.assignments == second.schedule.assignments
    assert again.mode(UNIT) is UnitMode.APPROVE
    with store.unit_of_work() as uow:
        outbox = uow.outbox.all()
    assert outbox and all(m.state is OutboxState.PENDING for m in outbox)
    assert len(outbox) == len(second.recommendation.added) + len(second.recommendation.removed)

    view = SqlAuditView(store)
    entries = list(view.entries())
    assert [e.action for e in entries] == [
        "unit.mode.changed",
        "recommendation.repair.created",
        "decision.overridden",
        "recommendation.repair.created",
        "decision.accepted",
        "recommendation.approved",
    ]
    assert verify(entries).ok

    with store.engine.begin() as connection:  # someone edits the decision log's audit trail
        connection.execute(text("UPDATE audit_entry SET actor = 'mallory' WHERE seq = 2"))
    report = verify(view.entries())
    assert not report.ok and report.broken_at == 2


def test_concurrent_decisions_on_one_recommendation_conflict(store: SqlDecisionStore) -> None:
    service, bus, rec = proposed(store)
    bus.handle(RecordDecision(rec.id, Outcome.ACCEPTED, "bob", "charge"))
    with pytest.raises(ConflictError):
        bus.handle(RecordDecision(rec.id, Outcome.OVERRIDDEN, "dan", "charge", "context.timing"))
    assert len(service.decisions(rec.id)) == 1


def test_concurrent_writers_share_flushes_and_every_decision_is_kept(store: SqlDecisionStore) -> None:
    """Group commit (ADR 0012): 40 deferrals from 8 threads all land, in one verifying audit
    chain, and each waited for a flush of the database's log."""
    import concurrent.futures

    service, bus, rec = proposed(store)
    flushes_before = store._durable.flushes if store._durable is not None else 0

    def defer(n: int) -> None:
        bus.handle(RecordDecision(rec.id, Outcome.DEFERRED, f"user-{n}", "charge", "context.need-more-info"))

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(defer, range(40)))
    assert len(service.decisions(rec.id)) == 40
    assert verify(SqlAuditView(store).entries()).ok
    assert store._durable is not None
    assert 1 <= store._durable.flushes - flushes_before <= 40


def test_writers_leave_durability_to_the_shared_flush(store: SqlDecisionStore) -> None:
    """A writer's own commit does not wait for the disk; the store's flush does (ADR 0012)."""
    with store.unit_of_work() as uow:
        session = uow._db
        if store.engine.dialect.name == "postgresql":
            assert session.execute(text("SELECT current_setting('synchronous_commit')")).scalar() == "off"
        else:
            assert session.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    with store.reader() as reader:  # readers are untouched
        if store.engine.dialect.name == "postgresql":
            assert reader._db.execute(text("SELECT current_setting('synchronous_commit')")).scalar() == "on"


def test_auto_thresholds_and_forecast_runs_persist(store: SqlDecisionStore) -> None:
    from datetime import UTC, datetime, timedelta

    from careshift.service.autopolicy import AutoThresholds
    from careshift.service.forecasts import ForecastPoint, StoredForecast, store_forecast

    service, bus, _ = service_on(store)
    bus.handle(ChangeUnitMode(UNIT, UnitMode.AUTO, actor="admin", max_risk=0.25, min_confidence=0.85))
    made = datetime(2024, 1, 1, 5, tzinfo=UTC)
    point = ForecastPoint(made + timedelta(hours=2), "RN", 4.0, {0.1: 3.0, 0.5: 4.0, 0.9: 6.0}, {80: (3.0, 6.0)})
    for n, at in enumerate((made - timedelta(hours=1), made)):
        run = StoredForecast(f"f-{n}", UNIT, at, "count_gbm x", "calendar", (point,), quality_verdict="warn")
        store_forecast(store.unit_of_work, run, actor="cli", at=at)
    held = bus.handle(RepairAfterCallOut(UNIT)).recommendation  # a greedy fallback: held for a human

    fresh = DecisionService(store.reader, service.planning, service.solver, service.clock)
    assert fresh.auto_thresholds(UNIT) == AutoThresholds(0.25, 0.85)
    assert [f.id for f in fresh.forecasts(UNIT)] == ["f-1", "f-0"]
    loaded = fresh.forecast("f-1")
    assert loaded is not None and loaded.points == (point,) and loaded.generated_at == made
    assert loaded.quality_verdict == "warn" and loaded.width_80() == 0.75
    stored = fresh.recommendation(held.id)
    assert stored.status is RecommendationStatus.PROPOSED
    context = stored.recommendation.context
    assert context["forecast"] == "f-1" and context["forecast_width_80"] == "0.750"
    assert (
        context["auto_reason"].startswith("not auto-applied: ")
        and "produced by greedy_repair" in context["auto_reason"]
    )
    changes = [e.payload for e in SqlAuditView(store).entries() if e.action == "unit.mode.changed"]
    assert (changes[-1]["max_risk"], changes[-1]["min_confidence"]) == (0.25, 0.85)
    assert verify(SqlAuditView(store).entries()).ok


def test_two_stores_on_one_database_interleave_and_the_chain_still_verifies(
    store: SqlDecisionStore, tmp_path: Path
) -> None:
    """A writer's first lookup reads the unit's mode and the chain head ahead (one round trip);
    what it read must be the latest even when another process (a second store) wrote between
    its transactions."""
    other = SqlDecisionStore(store.url, migrate=False)
    try:
        service, bus, rec = proposed(store)
        other_bus = MessageBus(DecisionService(other.unit_of_work, service.planning, service.solver, service.clock))
        for n in range(6):
            who = bus if n % 2 == 0 else other_bus
            who.handle(RecordDecision(rec.id, Outcome.DEFERRED, f"user-{n}", "charge", "context.need-more-info"))
        other_bus.handle(ChangeUnitMode(UNIT, UnitMode.SHADOW, actor="admin"))
        with pytest.raises(ConflictError, match="shadow mode"):  # the mode read ahead is the new one
            bus.handle(RecordDecision(rec.id, Outcome.ACCEPTED, "bob", "charge"))
    finally:
        other.close()
    entries = list(SqlAuditView(store).entries())
    assert [e.seq for e in entries] == list(range(len(entries)))
    assert verify(entries).ok
    assert len(service.decisions(rec.id)) == 6


def test_what_a_writer_read_ahead_follows_its_own_writes_and_ends_with_the_transaction(
    store: SqlDecisionStore,
) -> None:
    _, bus, rec = proposed(store)
    with store.unit_of_work() as uow:
        state = uow.recommendations.state(rec.id)
        assert state is not None and state.unit == UNIT
        assert uow.modes.get(UNIT) is UnitMode.RECOMMEND
        head = uow.audit.last()
        assert head is not None and head.action == "recommendation.repair.created"
        uow.modes.set(UNIT, UnitMode.APPROVE)
        assert uow.modes.get(UNIT) is UnitMode.APPROVE
        added = record(uow.audit, at=datetime.now(UTC), actor="t", scope="s", action="probe", payload={})
        assert uow.audit.last() == added
        uow.rollback()  # nothing of it happened
        assert uow.modes.get(UNIT) is UnitMode.RECOMMEND
        assert uow.audit.last() == head
    assert verify(SqlAuditView(store).entries()).ok


def test_the_writers_connection_is_replaced_after_the_database_drops_it(tmp_path: Path) -> None:
    """PostgreSQL writers share one connection without a liveness ping; when the server ends
    it (a restart, an administrator), the next decision begins again on a new one."""
    with postgres_schema_url() as url:
        opened = SqlDecisionStore(url)
        try:
            _, bus, rec = proposed(opened)
            with opened.unit_of_work() as uow:
                pid = uow._db.execute(text("SELECT pg_backend_pid()")).scalar()
            with opened.engine.connect() as admin:
                assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar() is True
            bus.handle(RecordDecision(rec.id, Outcome.DEFERRED, "bob", "charge", "context.need-more-info"))
            with opened.unit_of_work() as uow:
                assert uow._db.execute(text("SELECT pg_backend_pid()")).scalar() != pid
            assert verify(SqlAuditView(opened).entries()).ok
        finally:
            opened.close()


def test_a_writer_that_cannot_begin_leaves_the_next_writer_a_clean_connection() -> None:
    """A writer whose first statement fails without a disconnect (here: the chain's lock is held
    elsewhere past ``lock_timeout``) gets 503, and the writers' shared connection is not left
    inside that failed transaction for the next one."""
    with postgres_schema_url() as url:
        impatient = url.replace("options=-csearch_path%3D", "options=-clock_timeout%3D300%20-csearch_path%3D")
        opened = SqlDecisionStore(impatient)
        try:
            _, bus, rec = proposed(opened)
            with opened.engine.connect() as holder:
                holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": AUDIT_LOCK_KEY})
                with pytest.raises(ServiceUnavailableError, match="unavailable"):
                    bus.handle(RecordDecision(rec.id, Outcome.DEFERRED, "bob", "charge", "context.need-more-info"))
                holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": AUDIT_LOCK_KEY})
            for n in range(2):
                bus.handle(RecordDecision(rec.id, Outcome.DEFERRED, f"u{n}", "charge", "context.need-more-info"))
            assert verify(SqlAuditView(opened).entries()).ok
        finally:
            opened.close()


def test_another_process_appending_before_a_sqlite_writer_first_writes_is_chained_after(tmp_path: Path) -> None:
    """On SQLite only this process's lock is held when a writer first reads; another process may
    append to the chain before this writer's first write. The chain head is therefore read after
    that write, never ahead, and the decision lands after the other process's entry."""
    opened = SqlDecisionStore(sqlite_url(tmp_path))
    other = SqlDecisionStore(opened.url, migrate=False)
    try:
        service, bus, rec = proposed(opened)
        with opened.unit_of_work() as uow:
            state = uow.recommendations.state(rec.id)
            assert state is not None
            with other.unit_of_work() as theirs:  # e.g. `careshift forecast predict` storing a run
                record(theirs.audit, at=datetime.now(UTC), actor="cli", scope="s", action="forecast.stored", payload={})
                theirs.commit()
            uow.recommendations.set_status(rec.id, RecommendationStatus.DEFERRED, state.version)
            record(uow.audit, at=datetime.now(UTC), actor="bob", scope="s", action="decision.deferred", payload={})
            uow.commit()
    finally:
        other.close()
    entries = list(SqlAuditView(opened).entries())
    assert [e.action for e in entries][-2:] == ["forecast.stored", "decision.deferred"]
    assert verify(entries).ok
    assert service.recommendation(rec.id).status is RecommendationStatus.DEFERRED
    opened.close()


def test_a_second_transaction_in_one_unit_of_work_reads_the_chain_afresh(store: SqlDecisionStore) -> None:
    """Read-ahead belongs to a unit of work's first transaction: after its commit the chain's
    lock is gone, so the next transaction reads (and locks) the chain when it appends."""
    other = SqlDecisionStore(store.url, migrate=False)
    try:
        _, bus, rec = proposed(store)
        with store.unit_of_work() as uow:
            assert uow.recommendations.state(rec.id) is not None
            record(uow.audit, at=datetime.now(UTC), actor="a", scope="s", action="first", payload={})
            uow.commit()
            assert uow.recommendations.state(rec.id) is not None  # second transaction: nothing read ahead
            with other.unit_of_work() as theirs:
                record(theirs.audit, at=datetime.now(UTC), actor="b", scope="s", action="between", payload={})
                theirs.commit()
            record(uow.audit, at=datetime.now(UTC), actor="a", scope="s", action="second", payload={})
            uow.commit()
    finally:
        other.close()
    entries = list(SqlAuditView(store).entries())
    assert [e.action for e in entries][-3:] == ["first", "between", "second"]
    assert verify(entries).ok


def test_after_a_commit_the_next_writes_are_one_transaction_again(store: SqlDecisionStore) -> None:
    """The PostgreSQL writers' connection runs in driver autocommit (the unit of work sends BEGIN
    with its first statement); a unit of work that goes on after a commit must still get a
    transaction, so its rollback undoes what it wrote."""
    proposed(store)
    with store.unit_of_work() as uow:
        uow.modes.set(UNIT, UnitMode.APPROVE)
        uow.commit()
        uow.modes.set(UNIT, UnitMode.OFF)
        uow.rollback()
        assert uow.modes.get(UNIT) is UnitMode.APPROVE
    with store.reader() as reader:
        assert reader.modes.get(UNIT) is UnitMode.APPROVE


def test_a_decision_on_a_recommendation_that_moved_on_is_a_conflict_and_adds_nothing(store: SqlDecisionStore) -> None:
    """Recording a decision moves the recommendation's status in the same step (on PostgreSQL one
    statement); when the version it expects is stale, neither happens."""
    service, _, rec = proposed(store)
    stale = Decision(rec.id, Outcome.ACCEPTED, "bob", "charge", datetime.now(UTC))
    with store.unit_of_work() as uow:
        state = uow.recommendations.state(rec.id)
        assert state is not None
        with pytest.raises(ConflictError, match="changed meanwhile"):
            uow.decisions.record(stale, UNIT, RecommendationStatus.ACCEPTED, state.version - 1)
        saved = uow.decisions.record(stale, UNIT, RecommendationStatus.ACCEPTED, state.version)
        uow.commit()
    assert [d.seq for d in service.decisions(rec.id)] == [saved.seq]
    moved = service.recommendation(rec.id)
    assert moved.status is RecommendationStatus.ACCEPTED and moved.version == state.version + 1


def test_a_writer_that_says_what_it_reads_first_gets_it_with_the_begin(store: SqlDecisionStore) -> None:
    """``reading(id)``: on PostgreSQL the state, the unit's mode and the chain's head come back
    with the BEGIN; an unknown id reads as missing, and a write to the recommendation is seen
    by the next read of it."""
    _, _, rec = proposed(store)
    with store.unit_of_work().reading(rec.id) as uow:
        on_postgres = store.engine.dialect.name == "postgresql"
        assert (uow._ahead is not None and rec.id in uow._ahead.states) == on_postgres  # came with the BEGIN
        assert (uow._ahead is not None and uow._ahead.next_decision is not None) == on_postgres
        state = uow.recommendations.state(rec.id)
        assert state is not None and state.unit == UNIT and state.status is RecommendationStatus.PROPOSED
        assert uow.modes.get(UNIT) is UnitMode.RECOMMEND
        head = uow.audit.last()
        assert head is not None and head.action == "recommendation.repair.created"
        uow.recommendations.set_status(rec.id, RecommendationStatus.DEFERRED, state.version)
        moved = uow.recommendations.state(rec.id)
        assert moved is not None and (moved.status, moved.version) == (RecommendationStatus.DEFERRED, state.version + 1)
        uow.rollback()
    with store.unit_of_work().reading("no-such-recommendation") as uow:
        assert uow.recommendations.state("no-such-recommendation") is None
        assert uow.audit.last() == head


def test_an_audit_append_held_for_the_commit_keeps_its_place_and_a_clash_lands_nothing(
    store: SqlDecisionStore,
) -> None:
    """PostgreSQL writers send an audit append with the COMMIT; a statement run in between sends
    it first (the database sees the unit of work's order), a rollback drops it, and an append
    that clashes with a stored entry fails the commit as a conflict with nothing of the
    transaction kept."""
    _, _, rec = proposed(store)
    before = list(SqlAuditView(store).entries())
    with store.unit_of_work() as uow:
        record(uow.audit, at=datetime.now(UTC), actor="a", scope="s", action="dropped", payload={})
        uow.rollback()
        first = record(uow.audit, at=datetime.now(UTC), actor="a", scope="s", action="first", payload={})
        assert [e.seq for e in uow.audit.entries()][-1] == first.seq  # a read in between sees it
        uow.modes.set(UNIT, UnitMode.APPROVE)
        record(uow.audit, at=datetime.now(UTC), actor="a", scope="s", action="second", payload={"pct": "50%"})
        uow.commit()
    entries = list(SqlAuditView(store).entries())
    assert [e.action for e in entries[len(before) :]] == ["first", "second"]
    assert entries[-1].payload == {"pct": "50%"} and verify(entries).ok
    with store.unit_of_work() as uow:
        uow.modes.set(UNIT, UnitMode.OFF)
        taken = entries[-1]
        with pytest.raises(ConflictError):  # SQLite at once, PostgreSQL with the commit
            uow.audit.append(replace(taken, action="clash"))  # the same position as a stored entry
            uow.commit()
    with store.reader() as reader:
        assert reader.modes.get(UNIT) is UnitMode.APPROVE
    assert list(SqlAuditView(store).entries()) == entries


def test_a_decision_held_for_the_commit_on_a_recommendation_that_moved_on_lands_nothing(
    store: SqlDecisionStore,
) -> None:
    """A PostgreSQL writer that read a recommendation with its BEGIN sends the decision with the
    COMMIT, under a number drawn ahead; when the version it expects is stale the commit fails as
    a conflict, and neither the decision, the status change nor the audit entry is kept."""
    service, bus, rec = proposed(store)
    before = list(SqlAuditView(store).entries())
    stale = Decision(rec.id, Outcome.ACCEPTED, "bob", "charge", datetime.now(UTC))
    with store.unit_of_work().reading(rec.id) as uow:
        state = uow.recommendations.state(rec.id)
        assert state is not None
        with pytest.raises(ConflictError):  # SQLite at once, PostgreSQL with the commit
            uow.decisions.record(stale, UNIT, RecommendationStatus.ACCEPTED, state.version - 1)
            record(uow.audit, at=datetime.now(UTC), actor="bob", scope="s", action="decision.accepted", payload={})
            uow.commit()
    assert service.decisions(rec.id) == []
    assert list(SqlAuditView(store).entries()) == before
    assert service.recommendation(rec.id).status is RecommendationStatus.PROPOSED
    saved = bus.handle(RecordDecision(rec.id, Outcome.ACCEPTED, "bob", "charge"))
    assert [d.seq for d in service.decisions(rec.id)] == [saved.seq]
    assert list(SqlAuditView(store).entries())[-1].payload["decision"] == saved.seq


@pytest.fixture
def postgres_store() -> Iterator[SqlDecisionStore]:
    with postgres_schema_url() as url:
        opened = SqlDecisionStore(url)
        yield opened
        opened.close()


class RoundTrips:
    """Counts the statements (simple queries included) sent on a store's writers' connection."""

    def __init__(self, store: SqlDecisionStore, monkeypatch: pytest.MonkeyPatch) -> None:
        self.store, self.count = store, 0
        execute = psycopg.Cursor.execute

        def counting(cursor: psycopg.Cursor[Any], *args: Any, **kwargs: Any) -> Any:
            writers = store._writers_connection
            if writers is not None and cursor.connection is writers.connection.driver_connection:
                self.count += 1
            return execute(cursor, *args, **kwargs)

        monkeypatch.setattr(psycopg.Cursor, "execute", counting)

    def of(self, handle: Callable[[], object]) -> int:
        before = self.count
        handle()
        return self.count - before


def test_a_postgres_writer_trusts_what_its_last_commit_left_and_takes_one_round_trip(
    postgres_store: SqlDecisionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a decision, the next one on the same recommendation reads nothing: BEGIN, the lock,
    the head guard, the decision, its audit entry and COMMIT are one round trip, and the result
    is the same as when it reads (versions, decision numbers in order, a chain that verifies)."""
    service, bus, rec = proposed(postgres_store)
    trips = RoundTrips(postgres_store, monkeypatch)
    defer = RecordDecision(rec.id, Outcome.DEFERRED, "bob", "charge", "context.need-more-info")
    assert trips.of(lambda: bus.handle(defer)) == 2  # the plan before it left nothing to trust: it reads
    assert trips.of(lambda: bus.handle(defer)) == 1
    assert trips.of(lambda: bus.handle(RecordDecision(rec.id, Outcome.ACCEPTED, "bob", "charge"))) == 1
    decisions = service.decisions(rec.id)
    assert [d.decision.outcome for d in decisions] == [Outcome.DEFERRED, Outcome.DEFERRED, Outcome.ACCEPTED]
    assert [d.seq for d in decisions] == sorted(d.seq for d in decisions)
    stored = service.recommendation(rec.id)
    assert stored.status is RecommendationStatus.ACCEPTED and stored.version == 4
    entries = list(SqlAuditView(postgres_store).entries())
    assert [e.payload.get("decision") for e in entries[-3:]] == [d.seq for d in decisions]
    assert verify(entries).ok


def test_a_trusting_writer_whose_store_another_process_changed_starts_again_reading(
    postgres_store: SqlDecisionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process deciding (or switching the unit off) moves the chain's head: the trusting
    transaction fails its guard with nothing written, and the command runs again, reading; what
    it then finds decides (here: a refusal, since the other process accepted)."""
    other = SqlDecisionStore(postgres_store.url, migrate=False)
    try:
        service, bus, rec = proposed(postgres_store)
        other_bus = MessageBus(DecisionService(other.unit_of_work, service.planning, service.solver, service.clock))
        trips = RoundTrips(postgres_store, monkeypatch)
        bus.handle(RecordDecision(rec.id, Outcome.DEFERRED, "bob", "charge", "context.need-more-info"))
        other_bus.handle(RecordDecision(rec.id, Outcome.DEFERRED, "eve", "charge", "context.need-more-info"))
        # the guard fails (1; the ROLLBACK after it is not a cursor's), then the read and the commit (2)
        assert (
            trips.of(
                lambda: bus.handle(RecordDecision(rec.id, Outcome.DEFERRED, "bob", "c", "preference.staff-declined"))
            )
            == 3
        )
        assert (
            trips.of(lambda: bus.handle(RecordDecision(rec.id, Outcome.DEFERRED, "bob", "c", "context.need-more-info")))
            == 1
        )
        other_bus.handle(RecordDecision(rec.id, Outcome.ACCEPTED, "eve", "charge"))
        with pytest.raises(ConflictError, match="accepted; only proposed or deferred"):
            bus.handle(RecordDecision(rec.id, Outcome.DEFERRED, "bob", "charge", "context.need-more-info"))
        other_bus.handle(ChangeUnitMode(UNIT, UnitMode.OFF, actor="admin"))
    finally:
        other.close()
    outcomes = [(d.decision.user, d.decision.outcome) for d in service.decisions(rec.id)]
    assert outcomes == [
        ("bob", Outcome.DEFERRED),
        ("eve", Outcome.DEFERRED),
        ("bob", Outcome.DEFERRED),
        ("bob", Outcome.DEFERRED),
        ("eve", Outcome.ACCEPTED),
    ]
    entries = list(SqlAuditView(postgres_store).entries())
    assert [e.seq for e in entries] == list(range(len(entries))) and verify(entries).ok


def test_a_refusal_on_what_a_writer_remembered_is_checked_against_the_database(
    postgres_store: SqlDecisionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer that remembers a recommendation as accepted refuses another decision on it only
    after reading it again (one read, nothing written): a refusal is never made on memory alone."""
    service, bus, rec = proposed(postgres_store)
    bus.handle(RecordDecision(rec.id, Outcome.ACCEPTED, "bob", "charge"))
    trips = RoundTrips(postgres_store, monkeypatch)
    before = list(SqlAuditView(postgres_store).entries())
    with pytest.raises(ConflictError, match="accepted; only proposed or deferred"):
        trips.of(lambda: bus.handle(RecordDecision(rec.id, Outcome.ACCEPTED, "bob", "charge")))
    assert trips.count == 1  # the read; the trusting attempt sent nothing
    assert list(SqlAuditView(postgres_store).entries()) == before
    assert len(service.decisions(rec.id)) == 1


def test_requests_flush_postgresql_on_their_event_loop_and_share_the_flushes() -> None:
    """Coroutines wait for durability on their own loop (no flusher thread): commits made while a
    flush runs share the next one, and when the server drops the loop's flush connection the
    request whose flush failed hears of it (503) and the next one flushes on a new connection."""
    with postgres_schema_url() as url:
        opened = SqlDecisionStore(url)
        try:
            _, bus, rec = proposed(opened)
            durable = opened._durable
            assert isinstance(durable, PostgresGroupSync)

            async def decide(user: str) -> None:
                with deferred_durability() as pending:
                    bus.handle(RecordDecision(rec.id, Outcome.DEFERRED, user, "charge", "context.need-more-info"))
                await pending.wait()

            async def main() -> None:
                before = durable.flushes
                await asyncio.gather(*(decide(f"u{n}") for n in range(5)))
                assert durable.flushes - before == 2  # the first commit's flush, then one for the other four
                assert durable._async_connection is not None
                pid = durable._async_connection.info.backend_pid
                with opened.engine.connect() as admin:
                    assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar() is True
                with pytest.raises(ServiceUnavailableError, match="durable"):
                    await decide("lost")
                await decide("after")

            asyncio.run(main())
            assert [d.decision.user for d in opened_decisions(opened, rec.id)][-2:] == ["lost", "after"]
            assert verify(SqlAuditView(opened).entries()).ok
        finally:
            opened.close()


def opened_decisions(store: SqlDecisionStore, recommendation_id: str) -> list[StoredDecision]:
    with store.reader() as reader:
        return reader.decisions.for_recommendation(recommendation_id)
