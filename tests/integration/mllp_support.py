"""Run ``careshift ingest mllp`` as a real subprocess on a real socket, and stream to it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from careshift.adapters.hl7v2.client import MllpClient, ack_code, ack_control_id
from careshift.service.ports import StoredEvent
from tests.hl7_builders import KEY

ROOT = Path(__file__).resolve().parents[2]
READY = re.compile(r"listening on [^:]+:(\d+)")


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Wait until ``condition()`` holds (a background thread's work); the condition decides, not the time."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ListenerProcess:
    """One ``python -m careshift ingest mllp`` child; stderr goes to a file we poll for readiness."""

    def __init__(self, db_url: str, port: int | None = None, extra: Sequence[str] = ()) -> None:
        self.db_url = db_url
        self.port = port or free_port()
        self.extra = list(extra)
        self.process: subprocess.Popen[bytes] | None = None
        self.log = Path(tempfile.mkstemp(prefix="careshift-mllp-", suffix=".log")[1])

    def start(self, timeout: float = 30.0) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "CARESHIFT_ID_HASH_KEY": KEY.decode()}
        command = [sys.executable, "-m", "careshift", "ingest", "mllp", "--port", str(self.port)]
        command += ["--db", self.db_url, "--log-level", "WARNING", *self.extra]
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=sink, cwd=ROOT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"listener exited with {self.process.returncode}: {self.log.read_text()[-2000:]}")
            if READY.search(self.log.read_text(errors="replace")) and self._accepting():
                return
            time.sleep(0.05)
        raise RuntimeError(f"listener not ready after {timeout}s: {self.log.read_text()[-2000:]}")

    def _accepting(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, whatever was not committed is gone."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> int | None:
        """SIGTERM and wait; returns the exit code (``None`` if it was not running)."""
        code: int | None = None
        if self.alive:
            assert self.process is not None
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            code = self.process.returncode
        self.log.unlink(missing_ok=True)
        return code


class Sender:
    """Streams messages over one connection with up to ``window`` unacknowledged in flight.

    On a broken connection it reconnects and resends everything not yet acknowledged, in
    order, as an interface engine does. ``on_ack(n)`` is called after the n-th acknowledgement.
    """

    def __init__(self, port: Callable[[], int], window: int = 8, timeout: float = 15.0) -> None:
        self.port = port
        self.window = window
        self.timeout = timeout
        self.resent = 0
        self.connections = 0
        self.latencies: list[float] = []

    def stream(self, messages: Sequence[bytes], control_ids: Sequence[str], on_ack: Callable[[int], None]) -> list[str]:
        codes: list[str] = []
        first_unacked = 0
        sent_before = 0
        deadline = time.monotonic() + 600
        while first_unacked < len(messages):
            if time.monotonic() > deadline:
                raise TimeoutError("the sender could not deliver every message in 10 minutes")
            try:
                client = MllpClient("127.0.0.1", self.port(), timeout=self.timeout)
            except Exception:
                time.sleep(0.1)
                continue
            self.connections += 1
            next_to_send = first_unacked
            self.resent += max(0, sent_before - first_unacked)
            sent_at: dict[int, float] = {}
            try:
                while first_unacked < len(messages):
                    while next_to_send < len(messages) and next_to_send - first_unacked < self.window:
                        client.write(messages[next_to_send])
                        sent_at[next_to_send] = time.perf_counter()
                        next_to_send += 1
                        sent_before = max(sent_before, next_to_send)
                    ack = client.receive()
                    self.latencies.append(time.perf_counter() - sent_at[first_unacked])
                    if ack_control_id(ack) != control_ids[first_unacked]:
                        raise AssertionError(
                            f"ACK for {ack_control_id(ack)} where {control_ids[first_unacked]} was due"
                        )
                    codes.append(ack_code(ack))
                    first_unacked += 1
                    on_ack(first_unacked)
            except (OSError, ConnectionError):
                time.sleep(0.05)
            finally:
                client.close()
        return codes


@dataclass
class SigkillResult:
    """What a kill-and-resend run observed; the test and the benchmark assert on it."""

    count: int
    codes: list[str]
    connections: int
    resent: int
    acked_at_kill: int
    committed_at_kill: int
    ledger: list[str]
    log_matches_reference: bool
    census_matches_replay: bool
    census_matches_reference: bool
    peak_census: int
    quarantined: int
    seconds: float

    @property
    def exactly_once(self) -> bool:
        return self.ledger == [f"C{index:06d}" for index in range(self.count)]


def sigkill_run(db_url: str, count: int, seed: int = 11, window: int = 8) -> SigkillResult:
    """Stream ``count`` ADT messages to a listener subprocess, SIGKILL it at half way, restart it.

    The sender resends whatever was unacknowledged. Then the log is compared with an
    in-memory ingest of the same stream, and the census projection with a replay.
    """
    from datetime import timedelta

    from sqlalchemy import select

    from careshift.adapters.hl7v2.framing import Frame
    from careshift.adapters.hl7v2.ingest import Hl7Ingestor
    from careshift.adapters.keyed_hash import KeyedHasher
    from careshift.adapters.store import MemoryStore, SqlStore
    from careshift.adapters.store.schema import MessageRow
    from careshift.service.projections import replay_census
    from tests.hl7_builders import T0, adt_stream

    messages = adt_stream(count, seed=seed)
    control_ids = [f"C{index:06d}" for index in range(count)]
    listener = ListenerProcess(db_url)
    listener.start()
    kill_at = count // 2
    committed_at_kill: list[int] = []
    restarted = threading.Event()

    def on_ack(acked: int) -> None:
        if acked == kill_at and not committed_at_kill:
            listener.kill()
            probe = SqlStore(db_url, migrate=False)
            committed_at_kill.append(probe.counts().messages)
            probe.close()
            # Restart off the sender's thread so it meets a refused connection first, like a real outage.
            threading.Thread(target=lambda: (listener.start(), restarted.set()), daemon=True).start()

    started = time.perf_counter()
    try:
        sender = Sender(lambda: listener.port, window=window)
        codes = sender.stream(messages, control_ids, on_ack)
        restarted.wait(60)
    finally:
        listener.stop()
    seconds = time.perf_counter() - started

    reference = MemoryStore()
    ingestor = Hl7Ingestor(reference, KeyedHasher(KEY))
    for raw in messages:
        ingestor.handle(Frame(raw, len(raw)))

    def shape(items: list[StoredEvent]) -> list[tuple[object, ...]]:
        return [
            (s.event.key, s.event.kind, s.event.unit, s.event.entity_id, s.event.occurred_at, s.reversed_by)
            for s in items
        ]

    store = SqlStore(db_url, migrate=False)
    try:
        with store.engine.connect() as connection:
            ledger = sorted(connection.execute(select(MessageRow.message_id)).scalars())
        stored = store.read()
        start, end = T0 - timedelta(hours=1), T0 + timedelta(hours=30)
        projected = store.census(start, end)
        return SigkillResult(
            count=count,
            codes=codes,
            connections=sender.connections,
            resent=sender.resent,
            acked_at_kill=kill_at,
            committed_at_kill=committed_at_kill[0] if committed_at_kill else -1,
            ledger=ledger,
            log_matches_reference=shape(stored) == shape(reference.read()),
            census_matches_replay=projected == replay_census([s.event for s in stored], start, end),
            census_matches_reference=projected == reference.census(start, end),
            peak_census=max((interval.patients for interval in projected), default=0),
            quarantined=store.counts().quarantined,
            seconds=seconds,
        )
    finally:
        store.close()
