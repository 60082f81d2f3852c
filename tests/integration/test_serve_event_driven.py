"""Event-driven repair as ``careshift serve`` wires it: HL7 over a real MLLP socket into the
in-process listener → committed to the SQLite event log → the event feed hands it to the bus
→ debounced repair by the real engine in a worker process, with its cause on the record.

The clock is a fake one (the debouncer's quiet period passes when the test says so); the
sockets, the store, the feed thread and the solver are real.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from careshift.adapters.hl7v2.client import MllpClient, ack_code, ack_control_id
from careshift.adapters.store import open_store
from careshift.adapters.store.stream_log import SqlFeedCursors
from careshift.cli.serve import EventDriven, build_api
from careshift.domain.errors import ServiceUnavailableError
from careshift.domain.events import Event, StaffCalledOut
from careshift.domain.recommendations import UnitMode
from careshift.service.bootstrap import Services
from careshift.service.messages import ChangeUnitMode
from careshift.service.sample import sample_planning
from tests.hl7_builders import KEY, adt, siu_callout
from tests.integration.mllp_support import wait_for
from tests.unit.service_builders import Clock

UNIT = "4W"
MONDAY = datetime(2026, 3, 2, 6, tzinfo=UTC)
POLICY = """\
id: ward-triggers
title: Ward triggers
rules: []
triggers:
  defaults: {census_rise_patients: 4, census_rise_percent: null, repair_days: 3}
"""


@dataclass
class Serving:
    services: Services
    clock: Clock
    url: str

    @property
    def port(self) -> int:
        assert self.services.mllp_port is not None
        return self.services.mllp_port

    def nights(self, day: date) -> list[str]:
        current = self.services.service.planning.planning_input(UNIT).current or ()
        return sorted(a.staff for a in current if a.day == day and a.shift == "N")


@contextmanager
def open_serving(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, history: Sequence[Event] = ()) -> Iterator[Serving]:
    """``build_api`` with the in-process MLLP listener on a free port and the event feed;
    ``history`` is logged before it starts (what an earlier ``careshift ingest`` left)."""
    monkeypatch.setenv("CARESHIFT_ENVIRONMENT", "development")
    monkeypatch.setenv("CARESHIFT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CARESHIFT_ID_HASH_KEY", KEY.decode())
    policy = tmp_path / "ward.yaml"
    policy.write_text(POLICY)
    url = f"sqlite:///{tmp_path / 'careshift.db'}"
    if history:
        store = open_store(url)
        store.append(history)
        store.close()
    clock = Clock(MONDAY)
    config = EventDriven(mllp_port=0, poll_seconds=0.05, policy=str(policy))
    _, services = build_api(
        url, (UNIT,), time_limit=2.0, start_ticker=False, events_in=config, clock=clock, start=MONDAY.date()
    )
    try:
        services.bus.handle(ChangeUnitMode(UNIT, UnitMode.RECOMMEND, actor="admin", reason="pilot"))
        yield Serving(services, clock, url)
    finally:
        services.close()


@pytest.fixture
def serving(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Serving]:
    with open_serving(tmp_path, monkeypatch) as running:
        yield running


def call_out(n: int, staff: str, day: date, system: str = "csv:callouts.csv") -> StaffCalledOut:
    return StaffCalledOut(
        occurred_at=MONDAY - timedelta(hours=1),
        recorded_at=MONDAY - timedelta(hours=1),
        source_system=system,
        source_id=f"row-{n}",
        entity_id=staff,
        unit=UNIT,
        day=day,
        shift="N",
    )


def admissions(*numbers: int) -> list[bytes]:
    """ADT^A01 to 4W, ten minutes apart from Monday 06:00, one visit each."""
    return [
        adt("A01", f"ADM{n}", unit=UNIT, visit=f"V{n}", patient=f"P{n}", at=MONDAY + timedelta(minutes=10 * n))
        for n in numbers
    ]


def send(port: int, *messages: bytes) -> list[tuple[str, str]]:
    """Pipeline ``messages`` on one connection; (ACK code, MSA-2) for each, in order."""
    with MllpClient("127.0.0.1", port) as client:
        for message in messages:
            client.write(message)
        acks = [client.receive() for _ in messages]
    return [(ack_code(ack), ack_control_id(ack)) for ack in acks]


def test_an_hl7_call_out_over_mllp_becomes_a_repair_recommendation(serving: Serving) -> None:
    tuesday = date(2026, 3, 3)
    gone = serving.nights(tuesday)
    assert gone, "the sample roster has someone on Tuesday night"
    messages = [
        siu_callout(f"CO{n}", staff, unit=UNIT, shift="N", start=datetime(2026, 3, 3, 21, tzinfo=UTC))
        for n, staff in enumerate(gone)
    ]
    assert send(serving.port, *messages) == [("AA", f"CO{n}") for n in range(len(gone))]
    bus = serving.services.bus
    wait_for(lambda: bus.debouncer.pending() == {UNIT: len(gone)}, "the feed to note the call-outs")
    assert bus.tick() == []  # still inside the quiet period
    serving.clock.advance(31)
    (outcome,) = bus.tick()
    stored = outcome.recommendation
    assert stored is not None and outcome.check.feasible, outcome.fallback_reason
    rec = stored.recommendation
    assert rec.context["causes"] == ",".join(f"hl7v2:WFM@GENHOSP:CO{n}" for n in range(len(gone)))
    assert any(r.code == "hard.removed" for r in rec.reasons)
    tuesday_nights = {a.staff for a in stored.schedule if a.day == tuesday and a.shift == "N"}
    assert tuesday_nights and not tuesday_nights & set(gone)
    assert serving.nights(tuesday) == []  # the live roster (store projection) lost them


def test_a_malformed_call_out_gets_ae_naming_the_field_and_loses_nothing_accepted(serving: Serving) -> None:
    first, second = serving.nights(date(2026, 3, 4))[0], serving.nights(date(2026, 3, 5))[0]
    good = siu_callout("OK1", first, start=datetime(2026, 3, 4, 21, tzinfo=UTC))
    bad = siu_callout("BAD1", first, drop=("AIP-3",))
    wrong_type = siu_callout("BAD2", first).replace(b"SIU^S15", b"SIU^S14")
    later = siu_callout("OK2", second, start=datetime(2026, 3, 5, 21, tzinfo=UTC))
    assert send(serving.port, good, bad, wrong_type, later) == [
        ("AA", "OK1"),
        ("AE", "BAD1"),
        ("AR", "BAD2"),
        ("AA", "OK2"),
    ]
    with MllpClient("127.0.0.1", serving.port) as client:
        ack = client.send(siu_callout("BAD3", first, drop=("AIL",)))
    assert b"\rERR||AIL^1^3|101^" in ack and b"AIL-3.1 (location resource, point of care) is empty" in ack
    bus = serving.services.bus
    wait_for(lambda: bus.debouncer.pending() == {UNIT: 2}, "the feed to note the accepted call-outs")
    store = open_store(serving.url)
    try:
        logged = {s.event.source_id for s in store.read() if isinstance(s.event, StaffCalledOut)}
        quarantined = {item.record.record_ref: item.record.location for item in store.quarantined()}
    finally:
        store.close()
    assert logged == {"OK1", "OK2"}
    assert quarantined == {"BAD1": "AIP-3", "BAD2": "MSH-9", "BAD3": "AIL-3"}


def test_a_call_out_logged_by_another_process_is_noted_too(serving: Serving) -> None:
    staff = serving.nights(date(2026, 3, 6))[0]
    store = open_store(serving.url)  # as `careshift ingest csv/fhir/mllp` in its own process would
    try:
        store.append([call_out(1, staff, date(2026, 3, 6))])
    finally:
        store.close()
    wait_for(lambda: serving.services.bus.debouncer.pending() == {UNIT: 1}, "the feed to note the call-out")


def test_adt_admissions_over_mllp_crossing_the_census_threshold_repair_the_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tuesday = date(2026, 3, 3)
    roster = sample_planning((UNIT,), MONDAY.date()).inputs[UNIT].current or ()
    gone = sorted(a.staff for a in roster if a.day == tuesday and a.shift == "N")
    # Their call-out was logged before serve started: history (already in the live roster), not a trigger.
    history = [call_out(n, staff, tuesday) for n, staff in enumerate(gone)]
    with open_serving(tmp_path, monkeypatch, history) as serving:
        check_census_trigger(serving, gone, tuesday)


def check_census_trigger(serving: Serving, gone: list[str], tuesday: date) -> None:
    bus = serving.services.bus
    assert [code for code, _ in send(serving.port, *admissions(0, 1, 2))] == ["AA"] * 3
    wait_for(lambda: caught_up(serving), "the feed to pass the admissions")
    assert bus.debouncer.pending() == {}  # +3 is under the threshold of +4, and the old call-out is history
    assert [code for code, _ in send(serving.port, *admissions(3, 4))] == ["AA", "AA"]
    wait_for(lambda: bus.debouncer.pending() == {UNIT: 1}, "the census trigger")
    serving.clock.advance(30)
    (outcome,) = bus.tick()
    stored = outcome.recommendation
    assert stored is not None and outcome.check.feasible, outcome.fallback_reason
    rec = stored.recommendation
    assert rec.context["causes"] == "census on 4W rose from 0 to 5 in 40 min (threshold +4 patients in 2 h)"
    assert rec.context["window"] == "2026-03-02..2026-03-04"
    assert {a.day for a in (*rec.added, *rec.removed)} <= {date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)}
    assert any(a.day == tuesday and a.shift == "N" for a in rec.added)  # the old hole, inside the window


def caught_up(serving: Serving) -> bool:
    """The feed has passed every logged event (its saved position is the end of the log)."""
    store = open_store(serving.url)
    try:
        return SqlFeedCursors(store.engine).position("serve") == store.log_end()
    finally:
        store.close()


def test_a_busy_mllp_port_is_refused_naming_the_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARESHIFT_ENVIRONMENT", "development")
    monkeypatch.setenv("CARESHIFT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CARESHIFT_ID_HASH_KEY", KEY.decode())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = EventDriven(mllp_port=port)
        with pytest.raises(
            ServiceUnavailableError, match=rf"cannot listen for MLLP on 127\.0\.0\.1:{port} .*--mllp-port"
        ):
            build_api(f"sqlite:///{tmp_path / 'c.db'}", (UNIT,), start_ticker=False, events_in=config)
