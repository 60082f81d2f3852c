"""The API on a PostgreSQL store, with its writes on the event loop (``SerialWriter(on_loop=...)``,
ADR 0012): concurrent decisions over HTTP all land, each on disk before its response, while a
background thread writes to the same audit chain; a conflict is still a 409."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import psycopg
import pytest

from careshift.adapters.store.cooperative import CooperativeConnection
from careshift.adapters.store.decisions import AUDIT_LOCK_KEY, SqlDecisionStore
from careshift.api.app import create_app
from careshift.api.auth import generate_keys, mint
from careshift.api.deps import ApiContext
from careshift.domain.recommendations import UnitMode
from careshift.domain.schedule import Schedule
from careshift.service.bootstrap import Services, build_services
from careshift.service.messages import ChangeUnitMode, RepairAfterCallOut
from careshift.service.repositories import StoredRecommendation
from careshift.service.sample import first_night, sample_planning
from careshift.telemetry.audit import record, verify
from tests.integration.store_support import postgres_schema_url
from tests.unit.service_builders import ScriptedSolver

pytestmark = pytest.mark.services
UNIT = "4W"
KEYS = generate_keys()
DEFER = {"outcome": "deferred", "reason_code": "context.need-more-info", "comment": "waiting for the bed board"}


def served(url: str) -> tuple[Services, ApiContext, StoredRecommendation]:
    """The sample unit 4W on ``url`` after its first night's nurses called out, in recommend mode
    with one repair waiting, and the API context over it with writes on the event loop."""
    planning = sample_planning((UNIT,), date(2026, 11, 30), days=7)
    for gone in first_night(planning.inputs[UNIT].current or Schedule(())):
        planning.call_out(UNIT, gone.staff, gone.day)
    services = build_services(planning, database_url=url, solver=ScriptedSolver())
    services.bus.handle(ChangeUnitMode(UNIT, UnitMode.RECOMMEND, actor="admin"))
    rec = services.bus.handle(RepairAfterCallOut(UNIT, actor="admin")).recommendation
    assert rec is not None
    context = ApiContext(
        public_key_pem=KEYS.public_pem,
        audit=services.audit,
        service=services.service,
        bus=services.bus,
        writes_on_loop=services.writes_on_loop,
    )
    return services, context, rec


def test_decisions_run_on_the_event_loop_and_all_land_beside_a_background_writer() -> None:
    with postgres_schema_url() as url:
        services, context, rec = served(url)
        try:
            assert services.writes_on_loop is not None  # PostgreSQL connections cooperate
            app = create_app(context)
            token = mint(
                KEYS,
                subject="bob",
                role="charge nurse",
                scopes=["staffing.read", "staffing.decide"],
                now=datetime.now(UTC),
            )
            headers = {"Authorization": f"Bearer {token}"}
            stop = threading.Event()
            background: list[int] = []

            def other_writer() -> None:  # e.g. the write-back relay, on a thread of its own
                while not stop.is_set():
                    with services.service.uow() as uow:
                        record(uow.audit, at=datetime.now(UTC), actor="relay", scope="s", action="probe", payload={})
                        uow.commit()
                    background.append(1)

            async def main() -> list[httpx.Response]:
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://careshift") as client:
                    path = f"/recommendations/{rec.id}/decisions"
                    return await asyncio.gather(*(client.post(path, json=DEFER, headers=headers) for _ in range(30)))

            thread = threading.Thread(target=other_writer)
            thread.start()
            try:
                responses = asyncio.run(main())
            finally:
                stop.set()
                thread.join(timeout=30)
            assert [r.status_code for r in responses] == [201] * 30
            assert context.writer is not None and context.writer._on_loop is not None
            seqs = [r.json()["seq"] for r in responses]
            assert len(set(seqs)) == 30
            logged = services.service.decisions(rec.id)
            assert sorted(d.seq for d in logged) == sorted(seqs)
            entries = list(services.audit.entries())
            assert verify(entries).ok
            assert sum(e.action == "decision.deferred" for e in entries) == 30
            assert sum(e.action == "probe" for e in entries) == len(background) > 0

            accept = {"outcome": "accepted"}

            async def accept_twice() -> list[int]:
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://careshift") as client:
                    path = f"/recommendations/{rec.id}/decisions"
                    first = await client.post(path, json=accept, headers=headers)
                    second = await client.post(path, json=accept, headers=headers)
                    return [first.status_code, second.status_code]

            assert asyncio.run(accept_twice()) == [201, 409]
        finally:
            services.close()
            if context.writer is not None:
                context.writer.close()


def test_a_sqlite_file_offers_writes_on_the_loop_but_sqlite_in_memory_does_not(tmp_path: object) -> None:
    store = SqlDecisionStore(f"sqlite:///{tmp_path}/d.db")
    in_memory = SqlDecisionStore("sqlite://")
    try:
        assert store.cooperative is not None
        assert in_memory.cooperative is None  # the writer thread, as before
    finally:
        store.close()
        in_memory.close()


def test_a_sqlite_write_waits_on_the_loop_for_another_processs_write_lock(tmp_path: Path) -> None:
    """While another connection (another process, say ``careshift ingest``) holds SQLite's write
    lock, a decision waits for it on the event loop, which keeps answering; the decision lands
    once the lock is free."""
    database = tmp_path / "d.db"
    services, context, rec = served(f"sqlite:///{database}")
    try:
        assert services.writes_on_loop is not None
        app = create_app(context)
        token = mint(KEYS, subject="bob", scopes=["staffing.read", "staffing.decide"], now=datetime.now(UTC))
        headers = {"Authorization": f"Bearer {token}"}
        other = sqlite3.connect(database, isolation_level=None)

        async def main() -> None:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://careshift") as client:
                other.execute("BEGIN IMMEDIATE")  # the other writer holds the lock
                try:
                    decision = asyncio.ensure_future(
                        client.post(f"/recommendations/{rec.id}/decisions", json=DEFER, headers=headers)
                    )
                    await asyncio.sleep(0.3)
                    assert not decision.done()  # waiting for the lock
                    started = time.monotonic()
                    health = await asyncio.wait_for(client.get("/health"), 5)
                    assert health.status_code == 200 and time.monotonic() - started < 1
                    assert not decision.done()
                finally:
                    other.execute("COMMIT")
                assert (await asyncio.wait_for(decision, 10)).status_code == 201

        asyncio.run(main())
        other.close()
        assert [d.decision.outcome.value for d in services.service.decisions(rec.id)] == ["deferred"]
        assert verify(services.audit.entries()).ok
    finally:
        services.close()
        if context.writer is not None:
            context.writer.close()


def test_a_write_waiting_for_the_database_does_not_hold_up_the_event_loop() -> None:
    """While a decision waits for the chain's lock (held here by another session), the same event
    loop still answers other requests; the decision lands once the lock is free."""
    with postgres_schema_url() as url:
        services, context, rec = served(url)
        try:
            with services.service.uow() as uow:
                assert isinstance(uow._db.connection.driver_connection, CooperativeConnection)
            app = create_app(context)
            token = mint(KEYS, subject="bob", scopes=["staffing.read", "staffing.decide"], now=datetime.now(UTC))
            headers = {"Authorization": f"Bearer {token}"}

            locked, release, gave_up = threading.Event(), threading.Event(), threading.Event()

            async def main() -> None:
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://careshift") as client:
                    holder = threading.Thread(target=hold_the_chain_lock, args=(url, locked, release, gave_up))
                    holder.start()
                    try:
                        assert await asyncio.to_thread(locked.wait, 10)
                        decision = asyncio.ensure_future(
                            client.post(f"/recommendations/{rec.id}/decisions", json=DEFER, headers=headers)
                        )
                        await asyncio.sleep(0.3)  # the decision is now waiting for the lock
                        # a loop blocked by the write would only get here after the holder gave up (3 s)
                        assert not decision.done()
                        health = await asyncio.wait_for(client.get("/health"), 5)
                        assert health.status_code == 200 and not decision.done()
                        assert not gave_up.is_set()  # answered while the write still waited for the lock
                    finally:
                        release.set()
                        holder.join(timeout=10)
                    assert (await asyncio.wait_for(decision, 10)).status_code == 201

            asyncio.run(main())
            assert [d.decision.outcome.value for d in services.service.decisions(rec.id)] == ["deferred"]
        finally:
            services.close()
            if context.writer is not None:
                context.writer.close()


def hold_the_chain_lock(url: str, locked: threading.Event, release: threading.Event, gave_up: threading.Event) -> None:
    """Another session holds the audit chain's lock until ``release`` (at most 3 s: then ``gave_up``)."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (AUDIT_LOCK_KEY,))
        locked.set()
        if not release.wait(3):
            gave_up.set()
        holder.execute("SELECT pg_advisory_unlock(%s)", (AUDIT_LOCK_KEY,))
