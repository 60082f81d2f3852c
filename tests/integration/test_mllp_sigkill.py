"""Must-show: SIGKILL the MLLP listener while a sender streams ADT; restart; nothing lost, nothing doubled.

The listener runs as a real subprocess on a real socket. The sender keeps up to 8 messages
in flight; after the kill it reconnects and resends everything unacknowledged (some of
which were committed before the kill: the MSH-10 ledger must answer AA without a second
copy). Afterwards the log must equal an in-memory ingest of the same stream, and the
census projection must equal a replay from scratch.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from careshift.adapters.hl7v2.framing import Frame
from careshift.adapters.hl7v2.identity import IdentifierHasher
from careshift.adapters.hl7v2.ingest import Hl7Ingestor
from careshift.adapters.store import MemoryStore, SqlStore
from careshift.adapters.store.schema import MessageRow
from careshift.service.projections import replay_census
from tests.hl7_builders import KEY, T0, adt_stream
from tests.integration.mllp_support import ListenerProcess, Sender
from tests.integration.store_support import postgres_schema_url, sqlite_url

COUNT = int(os.environ.get("CARESHIFT_SIGKILL_MESSAGES", "300"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
    else:
        with postgres_schema_url() as url:
            yield url


@pytest.mark.slow
def test_sigkill_midway_then_resend_gives_each_message_exactly_once(db_url: str) -> None:
    messages = adt_stream(COUNT, seed=11)
    control_ids = [f"C{index:06d}" for index in range(COUNT)]
    listener = ListenerProcess(db_url)
    listener.start()
    killed = threading.Event()
    committed_at_kill: list[int] = []
    restarted = threading.Event()

    def on_ack(acked: int) -> None:
        if acked == COUNT // 2 and not killed.is_set():
            listener.kill()
            killed.set()
            probe = SqlStore(db_url, migrate=False)
            committed_at_kill.append(probe.counts().messages)
            probe.close()
            # Restart off the sender's thread so it sees a refused connection first, like a real outage.
            threading.Thread(target=lambda: (listener.start(), restarted.set()), daemon=True).start()

    try:
        sender = Sender(lambda: listener.port, window=8)
        codes = sender.stream(messages, control_ids, on_ack)
        assert restarted.wait(30)
    finally:
        listener.stop()

    assert killed.is_set() and sender.connections >= 2 and sender.resent > 0
    # Every message acknowledged before the kill was already on disk (AA only after commit).
    assert committed_at_kill and committed_at_kill[0] >= COUNT // 2
    assert codes == ["AA"] * COUNT

    reference = MemoryStore()
    ingestor = Hl7Ingestor(reference, IdentifierHasher(KEY))
    assert {ingestor.handle(Frame(raw, len(raw))).code for raw in messages} == {"AA"}

    store = SqlStore(db_url, migrate=False)
    try:
        with store.engine.connect() as connection:
            ledger = connection.execute(select(MessageRow.message_id)).scalars().all()
        assert sorted(ledger) == control_ids  # each message exactly once
        stored = store.read()

        def shape(items: list) -> list[tuple[object, ...]]:  # type: ignore[type-arg]
            return [
                (s.event.key, s.event.kind, s.event.unit, s.event.entity_id, s.event.occurred_at, s.reversed_by)
                for s in items
            ]

        assert shape(stored) == shape(reference.read())
        assert store.counts().quarantined == 0
        start, end = T0 - timedelta(hours=1), T0 + timedelta(hours=30)
        projected = store.census(start, end)
        assert projected == replay_census([s.event for s in stored], start, end)
        assert projected == reference.census(start, end)
        assert max(interval.patients for interval in projected) > 0
    finally:
        store.close()
