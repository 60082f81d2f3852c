"""Seeding the demo database through the real adapters.

``careshift demo`` fills a store the way a hospital's feeds would: the units, staff and
roster arrive as CSV files through :mod:`careshift.adapters.csv`, a replayed day of ADT
messages arrives over MLLP on a localhost socket through :mod:`careshift.adapters.hl7v2`,
and the call-outs arrive as a CSV file whose events the message bus turns into debounced
repairs. Nothing is written behind the adapters' backs, so what the API serves afterwards
is what the adapters stored.

The served units are the composition root's sample units (:mod:`careshift.service.sample`,
``careshift serve --units``): their staff and cover are the configured part of planning,
and their live roster and call-outs come from the event log seeded here.
"""

from __future__ import annotations

import csv
import io
import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from careshift.domain.errors import DataContractError, ServiceUnavailableError
from careshift.service.errors import ConflictError

if TYPE_CHECKING:
    from careshift.adapters.store import SqlStore
    from careshift.domain.schedule import Assignment
    from careshift.domain.workforce import Unit
    from careshift.service.sample import SamplePlanning

MARKER_TABLE = "careshift_demo_seed"
"""A table only the demo creates: a database holding it may be replaced by the next demo."""

HL7_SOURCE_APP = "DEMO-ADT"
UNIT_NAMES = {"4W": "4 West", "5E": "5 East"}


@dataclass(frozen=True)
class SeedReport:
    """What the seeding stored, for the progress lines and the tests."""

    units: int
    staff: int
    roster_rows: int
    adt_messages: int
    adt_accepted: int
    callouts: int
    recommendations: dict[str, int]


def database_kind(url: str) -> str:
    """``"empty"`` (nothing there), ``"demo"`` (made by the demo) or ``"other"`` (real data)."""
    from sqlalchemy import create_engine, inspect

    path = sqlite_path(url)
    if path is not None and (not path.exists() or path.stat().st_size == 0):
        return "empty"
    engine = create_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    if not tables:
        return "empty"
    return "demo" if MARKER_TABLE in tables else "other"


def prepare_database(url: str, *, force: bool) -> str:
    """Clear ``url`` for a new demo; refuse (``ConflictError``) to replace real data without ``force``.

    Returns what was there before (see :func:`database_kind`).
    """
    from sqlalchemy import MetaData, create_engine

    kind = database_kind(url)
    if kind == "other" and not force:
        raise ConflictError(
            f"{_shown(url)} holds data that the demo did not create; pass --force to replace it, "
            "or choose another database with --db"
        )
    if kind == "empty":
        return kind
    path = sqlite_path(url)
    if path is not None:
        path.unlink()
        return kind
    engine = create_engine(url)
    try:
        existing = MetaData()
        existing.reflect(engine)
        existing.drop_all(engine)
    finally:
        engine.dispose()
    return kind


def mark_database(url: str, seed: int, now: datetime) -> None:
    """Record that the demo made this database (so the next demo may replace it)."""
    from sqlalchemy import Column, DateTime, Integer, MetaData, Table, create_engine, insert

    metadata = MetaData()
    table = Table(
        MARKER_TABLE, metadata, Column("seed", Integer, nullable=False), Column("seeded_at", DateTime, nullable=False)
    )
    engine = create_engine(url)
    try:
        metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(insert(table).values(seed=seed, seeded_at=now.replace(tzinfo=None)))
    finally:
        engine.dispose()


def sqlite_path(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# -- the files the feeds would send -----------------------------------------------------


def _csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def units_csv(hospital_units: Sequence[Unit], served: Sequence[str]) -> bytes:
    """The synthetic hospital's units plus the served sample units, as a units file."""
    rows: list[list[object]] = [[u.id, u.name, u.unit_type.value, u.timezone, u.beds] for u in hospital_units]
    rows += [[unit, UNIT_NAMES.get(unit, unit), "med_surg", "UTC", 24] for unit in served]
    return _csv(("unit_id", "name", "unit_type", "timezone", "beds"), rows)


def staff_csv(planning: SamplePlanning) -> bytes:
    """The served units' nurses, as a staff file."""
    rows = [
        [member.id, member.name, "RN", member.home_unit or unit]
        for unit, item in sorted(planning.inputs.items())
        for member in item.problem.staff
    ]
    return _csv(("staff_id", "name", "roles", "home_unit"), rows)


def roster_csv(planning: SamplePlanning) -> bytes:
    """The served units' rosters (the greedy fallback's), as a roster file with real times."""
    rows: list[list[object]] = []
    for unit, item in sorted(planning.inputs.items()):
        shifts = {shift.id: shift for shift in item.problem.shift_types}
        for assignment in sorted(item.current or (), key=lambda a: (a.day, a.shift, a.staff)):
            shift = shifts[assignment.shift]
            if shift.start is None or shift.end is None:
                continue
            start = datetime.combine(assignment.day, shift.start, UTC)
            end = datetime.combine(assignment.day, shift.end, UTC)
            if end <= start:
                end += timedelta(days=1)
            where = assignment.unit or unit
            rows.append([assignment.staff, where, assignment.shift, start.isoformat(), end.isoformat()])
    return _csv(("staff_id", "unit", "shift", "start", "end"), rows)


def choose_callouts(planning: SamplePlanning, today: date, rng: random.Random) -> list[Assignment]:
    """Per served unit, two nurses of one shift from tomorrow on call out (the floor is hit)."""
    chosen: list[Assignment] = []
    for _unit, item in sorted(planning.inputs.items()):
        later = sorted((a for a in item.current or () if a.day > today), key=lambda a: (a.day, a.shift, a.staff))
        by_shift: dict[tuple[date, str], list[Assignment]] = {}
        for assignment in later:
            by_shift.setdefault((assignment.day, assignment.shift), []).append(assignment)
        crowded = [group for group in by_shift.values() if len(group) >= 2]
        if crowded:
            chosen += rng.sample(rng.choice(crowded[:6]), 2)
    return chosen


def callouts_csv(callouts: Sequence[Assignment], reported_at: datetime) -> bytes:
    """The chosen call-outs, as a call-outs file."""
    rows = [[a.staff, a.day.isoformat(), reported_at.isoformat(), a.shift, a.unit, "sick"] for a in callouts]
    return _csv(("staff_id", "day", "reported_at", "shift", "unit", "reason"), rows)


def _hl7_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S+0000")


def adt_message(trigger: str, control_id: str, at: datetime, unit: str, patient: str, visit: str) -> bytes:
    """One HL7 v2.5.1 ADT message (A01 admit, A03 discharge) for ``patient`` on ``unit``."""
    segments = [
        f"MSH|^~\\&|{HL7_SOURCE_APP}|DEMOHOSP|CARESHIFT|DEMOHOSP|{_hl7_time(at + timedelta(seconds=20))}||"
        f"ADT^{trigger}^ADT_A01|{control_id}|P|2.5.1",
        f"EVN|{trigger}|{_hl7_time(at + timedelta(seconds=10))}||||{_hl7_time(at)}",
        f"PID|1||{patient}^^^DEMOHOSP^MR||Demo^Patient||19700101|U",
        "|".join(["PV1", "1", "I", f"{unit}^101^A^DEMOHOSP", *[""] * 15, f"{visit}^^^DEMOHOSP^VN"]),
    ]
    return "\r".join(segments).encode() + b"\r"


def replayed_day(units: Sequence[str], start: datetime, rng: random.Random) -> list[bytes]:
    """A day of admissions and discharges on ``units`` from ``start``, in time order."""
    stories: list[tuple[datetime, str, str, str, str]] = []
    for unit in units:
        for n in range(rng.randint(10, 16)):
            admitted = start + timedelta(minutes=rng.randrange(0, 20 * 60))
            patient, visit = f"MRN-{unit}-{n:03d}", f"V-{unit}-{n:03d}"
            stories.append((admitted, "A01", unit, patient, visit))
            if rng.random() < 0.4:
                stories.append((admitted + timedelta(minutes=rng.randrange(60, 4 * 60)), "A03", unit, patient, visit))
    stories.sort()
    return [
        adt_message(trigger, f"DEMO{index:05d}", at, unit, patient, visit)
        for index, (at, trigger, unit, patient, visit) in enumerate(stories, start=1)
    ]


# -- feeding them through the adapters ---------------------------------------------------


def send_over_mllp(store: SqlStore, messages: Sequence[bytes], key: bytes) -> int:
    """Start the real MLLP listener on a free localhost port, send ``messages``, return the AAs."""
    import asyncio
    import threading

    from careshift.adapters.hl7v2.client import MllpClient, ack_code
    from careshift.adapters.hl7v2.ingest import Hl7Ingestor
    from careshift.adapters.hl7v2.listener import MllpListener
    from careshift.adapters.keyed_hash import KeyedHasher

    listener = MllpListener(Hl7Ingestor(store, KeyedHasher(key)), host="127.0.0.1", port=0)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="demo-mllp", daemon=True)
    thread.start()

    async def stop() -> None:
        await listener.close()
        # Let the connection handler see the client's close before the loop stops.
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        if others:
            await asyncio.wait(others, timeout=5)

    try:
        try:
            asyncio.run_coroutine_threadsafe(listener.start(), loop).result(timeout=10)
        except TimeoutError as exc:
            raise ServiceUnavailableError("the demo's MLLP listener did not start within 10 s") from exc
        accepted = 0
        with MllpClient("127.0.0.1", listener.port) as client:
            for message in messages:
                accepted += ack_code(client.send(message)) == "AA"
        return accepted
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def seed_database(
    url: str,
    seed: int,
    hospital_units: Sequence[Unit],
    served: Sequence[str],
    *,
    time_limit: float,
    progress: Callable[[str], None],
    now: datetime | None = None,
) -> SeedReport:
    """Fill ``url`` (already cleared) through the adapters, plan, take call-outs, repair."""
    from careshift.adapters.csv.importer import import_csv
    from careshift.adapters.csv.schema import FileKind
    from careshift.adapters.store import open_store
    from careshift.adapters.store.imports import SqlReferenceData
    from careshift.domain.events import StaffCalledOut
    from careshift.domain.recommendations import UnitMode
    from careshift.domain.time import Horizon
    from careshift.service.bootstrap import build_services
    from careshift.service.debounce import Debouncer
    from careshift.service.messages import ChangeUnitMode, PlanUnit
    from careshift.service.projected import ProjectedPlanning
    from careshift.service.sample import sample_planning
    from careshift.settings import Settings

    moment = now or datetime.now(UTC)
    today = moment.date()
    rng = random.Random(seed)
    planning = sample_planning(tuple(served), today)
    # Marked first, so a seeding that fails half-way leaves a database the next demo may replace.
    mark_database(url, seed, moment)
    store = open_store(url)
    try:
        reference = SqlReferenceData(store.engine)
        first = min(item.problem.horizon.start for item in planning.inputs.values())
        horizon = Horizon(first - timedelta(days=1), 30)

        def load(name: str, kind: FileKind, data: bytes) -> int:
            outcome = import_csv(data, name, kind, store, reference, now=moment, horizon=horizon)
            if outcome.quarantined:
                reasons = "; ".join(f"{row.location}: {row.reason}" for row in outcome.quarantined[:3])
                raise DataContractError(f"quarantined by the CSV importer: {reasons}", source=name)
            progress(f"{name}: {outcome.rows} rows imported through the CSV adapter ({outcome.contract})")
            return outcome.rows

        units = load("demo-units.csv", FileKind.UNITS, units_csv(hospital_units, served))
        staff = load("demo-staff.csv", FileKind.STAFF, staff_csv(planning))
        roster = load("demo-roster.csv", FileKind.ROSTER, roster_csv(planning))

        settings = Settings()
        key = settings.id_hash_key.get_secret_value().encode() if settings.id_hash_key else secrets.token_bytes(32)
        messages = replayed_day((*served, *(unit.id for unit in hospital_units)), moment - timedelta(days=1), rng)
        accepted = send_over_mllp(store, messages, key)
        progress(f"ADT replay: {len(messages)} HL7 v2 messages sent over MLLP to 127.0.0.1, {accepted} acknowledged AA")

        callouts = choose_callouts(planning, today, rng)
        called = load("demo-callouts.csv", FileKind.CALLOUTS, callouts_csv(callouts, moment))

        projected = ProjectedPlanning(planning.inputs, store, planning.templates)
        services = build_services(
            projected,
            database_url=url,
            time_limit=time_limit,
            debouncer=Debouncer(quiet=timedelta(0), max_wait=timedelta(0)),
        )
        try:
            for unit in served:
                services.bus.handle(ChangeUnitMode(unit, UnitMode.RECOMMEND, actor="demo", reason="demo seed"))
                services.bus.handle(PlanUnit(unit, actor="demo"))
                progress(f"planned {unit} (batch plan)")
            for event in store.read():
                if isinstance(event.event, StaffCalledOut):
                    services.bus.handle(event.event)
            for outcome in services.bus.tick():
                codes = ""
                if outcome.recommendation is not None:
                    made = outcome.recommendation.recommendation
                    codes = f": {made.summary} [{', '.join(reason.code for reason in made.reasons)}]"
                fallback = f", {outcome.fallback_reason}" if outcome.fallback_reason else ""
                progress(f"repaired {outcome.unit} after call-outs ({outcome.produced_by.value}{fallback}){codes}")
            recommendations = {unit: len(services.service.recommendations(unit)) for unit in served}
        finally:
            services.close()
    finally:
        store.close()
    return SeedReport(units, staff, roster, len(messages), accepted, called, recommendations)
