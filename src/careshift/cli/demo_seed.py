"""Seeding the demo database through the real adapters.

``careshift demo`` fills a store the way a hospital's feeds would: the synthetic
hospital's units, staff (roles, skills, credentials, contracts) and naive roster arrive as
CSV files through :mod:`careshift.adapters.csv`, a census head count as a census file, a
replayed day of ADT messages over MLLP on a localhost socket through
:mod:`careshift.adapters.hl7v2`, and the call-outs as a CSV file whose events the message
bus turns into debounced repairs. Nothing is written behind the adapters' backs.

Before the replayed day, four weeks of hourly census history arrive as a census file (the
synthetic hospital's census curve for those weeks), so that each unit's census can be
forecast the way ``careshift forecast predict --unit`` does it: one stored census run per
unit, made at the start of today on the unit's clock and reaching past the planning horizon.

Planning then reads the same store (:class:`careshift.service.store_planning.StorePlanning`):
the units planned and served are the synthetic hospital's, with cover from each unit's
stored census forecast (or, when the forecast extra is missing, from the census the
replayed day left behind).
"""

from __future__ import annotations

import csv
import io
import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from careshift.domain.errors import CareshiftError, DataContractError, ServiceUnavailableError
from careshift.domain.schedule import Assignment
from careshift.domain.time import zone
from careshift.service.errors import ConflictError

if TYPE_CHECKING:
    from careshift.adapters.store import SqlStore
    from careshift.domain.problem import RosterProblem
    from careshift.domain.schedule import Schedule
    from careshift.domain.workforce import Staff, Unit

MARKER_TABLE = "careshift_demo_seed"
"""A table only the demo creates: a database holding it may be replaced by the next demo."""

HL7_SOURCE_APP = "DEMO-ADT"
HISTORY_WEEKS = 4
"""Census history seeded before the replayed day: the count model needs three weeks after its warm-up."""
FORECAST_DAYS = 15
"""Days each stored census run reaches from the start of today: the 14-day planning horizon's last
night ends on the morning of day 15."""


@dataclass(frozen=True)
class SeedReport:
    """What the seeding stored, for the progress lines and the tests.

    ``recommendations`` counts each planned unit's recommendations; ``no_recommendation``
    says, for a planned unit with none, why (no change needed, or the error it met);
    ``forecasts`` names each unit's stored census forecast run.
    """

    units: int
    staff: int
    roster_rows: int
    adt_messages: int
    adt_accepted: int
    callouts: int
    recommendations: dict[str, int]
    no_recommendation: dict[str, str] = field(default_factory=dict)
    forecasts: dict[str, str] = field(default_factory=dict)
    """The stored census forecast run per unit (units without one are absent)."""


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


def units_csv(hospital_units: Sequence[Unit]) -> bytes:
    """The synthetic hospital's units, as a units file."""
    rows: list[list[object]] = [[u.id, u.name, u.unit_type.value, u.timezone, u.beds] for u in hospital_units]
    return _csv(("unit_id", "name", "unit_type", "timezone", "beds"), rows)


def staff_csv(staff: Sequence[Staff]) -> bytes:
    """The hospital's staff with roles, skills, credentials (code:last valid day), contract,
    home and float units and seniority, as a staff file."""
    rows = [
        [
            member.id,
            member.name,
            ";".join(sorted(_roles(member))),
            ";".join(sorted(member.skills)),
            ";".join(f"{c.code}:{c.expires.isoformat()}" if c.expires else c.code for c in member.credentials),
            member.contract_id,
            member.home_unit or "",
            ";".join(sorted(member.float_units)),
            member.seniority,
        ]
        for member in staff
    ]
    header = ("staff_id", "name", "roles", "skills", "credentials", "contract_id", "home_unit", "float_units")
    return _csv((*header, "seniority"), rows)


def _roles(member: Staff) -> frozenset[str]:
    # The staff contract asks for RN beside CHARGE: a charge nurse is a registered nurse.
    return member.roles | {"RN"} if "CHARGE" in member.roles else member.roles


def roster_csv(problem: RosterProblem, roster: Schedule) -> bytes:
    """``roster`` as a roster file with real start and end on each unit's clock (the
    importer files a shift under the day it starts, in the offset given)."""
    zones = {unit.id: unit.timezone for unit in problem.units}
    rows: list[list[object]] = []
    for a in sorted(roster, key=Assignment.sort_key):
        where = a.unit or problem.member(a.staff).home_unit or ""
        span = problem.shift_type(a.shift).interval_on(a.day, zones.get(where, problem.horizon.timezone))
        rows.append([a.staff, where, a.shift, span.start.isoformat(), span.end.isoformat(), a.skill or ""])
    return _csv(("staff_id", "unit", "shift", "start", "end", "skill"), rows)


def census_csv(problem: RosterProblem, at: datetime) -> bytes:
    """One census count per unit at ``at`` (a midnight-style head count before the replayed
    ADT day): the synthetic census at the same time of day on the hospital's first day."""
    rows: list[list[object]] = []
    for unit in problem.units:
        tz = zone(unit.timezone)
        clock = at.astimezone(tz).time()
        counts = [c for c in problem.census if c.unit == unit.id]
        same = [c for c in counts if c.start.astimezone(tz).time() == clock] or counts
        rows.append([unit.id, at.isoformat(), same[0].patients if same else 0])
    return _csv(("unit", "at", "patients"), rows)


def census_history_csv(seed: int, until: datetime, weeks: int = HISTORY_WEEKS) -> bytes:
    """Hourly census counts per unit for ``weeks`` weeks before ``until``: the synthetic
    hospital's census curve (occupancy by hour with a slow drift) generated for those weeks."""
    from careshift.sim import generate_hospital
    from careshift.sim.hospital import DEFAULT_TIMEZONE

    local = until.astimezone(zone(DEFAULT_TIMEZONE))
    # From the day before: the sim's census starts at 07:00 on its first day.
    first = local.date() - timedelta(weeks=weeks, days=1)
    past = generate_hospital(random.Random(seed + 1), weeks=weeks + 1, start=first)
    rows: list[list[object]] = [
        [c.unit, c.start.astimezone(UTC).isoformat(), c.patients]
        for c in past.census
        if c.start.minute == 0 and until - timedelta(weeks=weeks) <= c.start < until
    ]
    return _csv(("unit", "at", "patients"), rows)


def choose_callouts(roster: Schedule, units: Sequence[str], today: date, rng: random.Random) -> list[Assignment]:
    """Per planned unit, two people of one shift from tomorrow on call out (the floor is hit)."""
    chosen: list[Assignment] = []
    for unit in sorted(units):
        later = sorted((a for a in roster if a.unit == unit and a.day > today), key=Assignment.sort_key)
        by_shift: dict[tuple[date, str], list[Assignment]] = {}
        for assignment in later:
            if assignment.skill is None:  # the ward's licensed and assistant staff, not the triage post
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
    """A day of admissions and discharges on ``units`` from ``start``, in time order: new
    patients arrive (some leave again), and patients admitted before the day go home in
    the late-morning discharge round, so the census moves rather than only climbing."""
    stories: list[tuple[datetime, str, str, str, str]] = []
    for unit in units:
        for n in range(rng.randint(6, 10)):
            discharged = start + timedelta(minutes=rng.randrange(9 * 60, 15 * 60))
            stories.append((discharged, "A03", unit, f"MRN-{unit}-P{n:03d}", f"V-{unit}-P{n:03d}"))
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
    hospital: RosterProblem,
    roster: Schedule,
    planned: Sequence[str],
    *,
    time_limit: float,
    progress: Callable[[str], None],
    now: datetime | None = None,
) -> SeedReport:
    """Fill ``url`` (already cleared) with ``hospital`` and its ``roster`` through the
    adapters, replay a day of ADT, plan the ``planned`` units from the store, take
    call-outs and repair."""
    from careshift.adapters.csv.importer import import_csv
    from careshift.adapters.csv.schema import FileKind
    from careshift.adapters.store import open_store
    from careshift.adapters.store.imports import SqlReferenceData
    from careshift.domain.time import Horizon
    from careshift.settings import Settings

    moment = now or datetime.now(UTC)
    today = moment.date()
    rng = random.Random(seed)
    # Marked first, so a seeding that fails half-way leaves a database the next demo may replace.
    mark_database(url, seed, moment)
    store = open_store(url)
    try:
        reference = SqlReferenceData(store.engine)
        first = min(hospital.horizon.start, today) - timedelta(days=2)
        last = max(hospital.horizon.end, today + timedelta(days=1))
        horizon = Horizon(first, (last - first).days + 2)

        def load(name: str, kind: FileKind, data: bytes, within: Horizon = horizon) -> int:
            outcome = import_csv(data, name, kind, store, reference, now=moment, horizon=within)
            if outcome.quarantined:
                reasons = "; ".join(f"{row.location}: {row.reason}" for row in outcome.quarantined[:3])
                raise DataContractError(f"quarantined by the CSV importer: {reasons}", source=name)
            progress(f"{name}: {outcome.rows} rows imported through the CSV adapter ({outcome.contract})")
            return outcome.rows

        units = load("demo-units.csv", FileKind.UNITS, units_csv(hospital.units))
        staff = load("demo-staff.csv", FileKind.STAFF, staff_csv(hospital.staff))
        rows = load("demo-roster.csv", FileKind.ROSTER, roster_csv(hospital, roster))
        replay_start = moment - timedelta(days=1)
        past = Horizon(today - timedelta(weeks=HISTORY_WEEKS, days=2), HISTORY_WEEKS * 7 + 4)
        load("demo-census-history.csv", FileKind.CENSUS, census_history_csv(seed, replay_start), within=past)
        load("demo-census.csv", FileKind.CENSUS, census_csv(hospital, replay_start))

        settings = Settings()
        key = settings.id_hash_key.get_secret_value().encode() if settings.id_hash_key else secrets.token_bytes(32)
        messages = replayed_day([unit.id for unit in hospital.units], replay_start, rng)
        accepted = send_over_mllp(store, messages, key)
        progress(f"ADT replay: {len(messages)} HL7 v2 messages sent over MLLP to 127.0.0.1, {accepted} acknowledged AA")

        runs = store_census_forecasts(url, store, hospital.units, moment, progress=progress)
        callouts = choose_callouts(roster, planned, today, rng)
        called = load("demo-callouts.csv", FileKind.CALLOUTS, callouts_csv(callouts, moment))
        counts, reasons = plan_and_repair(url, store, planned, time_limit=time_limit, progress=progress)
    finally:
        store.close()
    return SeedReport(units, staff, rows, len(messages), accepted, called, counts, reasons, runs)


def store_census_forecasts(
    url: str, store: SqlStore, units: Sequence[Unit], now: datetime, *, progress: Callable[[str], None]
) -> dict[str, str]:
    """Forecast each unit's stored census as ``careshift forecast predict --unit`` does (the
    count model, fitted on the hourly census up to the start of today on the unit's clock,
    :data:`FORECAST_DAYS` ahead) and store the run. Returns the run id per unit.

    Without the forecast extra (pandas, LightGBM) nothing is stored and the progress line
    says why; a unit whose census cannot be forecast is reported and skipped. Either way
    the plans then take their cover from the stored census instead."""
    try:
        import lightgbm  # noqa: F401  (the count model's booster; imported lazily further in)
        import pandas as pd

        from careshift.cli.forecast import fit_and_predict, store_run
        from careshift.forecast.frames import validate_frame
        from careshift.forecast.series import series_from_frame
    except ImportError as exc:
        progress(f"census forecasts not stored: the forecast extra is not importable ({exc}); plans use the census")
        return {}
    runs: dict[str, str] = {}
    levels = tuple(round(0.05 * k, 2) for k in range(1, 20))
    for unit in units:
        tz = zone(unit.timezone)
        origin = datetime.combine(now.astimezone(tz).date(), datetime.min.time(), tz).astimezone(UTC)
        hourly = [
            c for c in store.census(origin - timedelta(weeks=HISTORY_WEEKS), origin, unit.id) if c.start.minute == 0
        ]
        frame = pd.DataFrame(
            {
                "unique_id": unit.id,
                "ds": pd.DatetimeIndex([c.start for c in hourly]).tz_convert(unit.timezone),
                "y": [float(c.patients) for c in hourly],
            }
        )
        try:
            data = series_from_frame(validate_frame(frame, source=f"stored census of {unit.id}"))
            starts, forecast, features = fit_and_predict(data, FORECAST_DAYS * 24, levels, rounds=200)
            runs[unit.id] = store_run(unit.id, url, starts, forecast, levels, [], step=60, features=features)
        except CareshiftError as exc:
            progress(f"forecast {unit.id}: not stored ({exc}); its plans use the census")
            continue
        progress(
            f"forecast {unit.id}: count model on {data.n} h of stored census, {len(starts)} h from "
            f"{starts[0].isoformat()} stored as run {runs[unit.id]}"
        )
    return runs


def plan_and_repair(
    url: str,
    store: SqlStore,
    planned: Sequence[str],
    *,
    time_limit: float,
    progress: Callable[[str], None],
) -> tuple[dict[str, int], dict[str, str]]:
    """Plan each unit from the store (the planning source the API serves), then hand the
    stored call-outs to the message bus and let its debounced repairs run. Returns the
    recommendations per unit and, for units without one, why."""
    from careshift.cli.serve import planning_source
    from careshift.domain.events import StaffCalledOut
    from careshift.domain.recommendations import UnitMode
    from careshift.service.bootstrap import build_services, utc_now
    from careshift.service.debounce import Debouncer
    from careshift.service.messages import ChangeUnitMode, PlanUnit

    services = build_services(
        planning_source(store, clock=utc_now).planning,
        database_url=url,
        time_limit=time_limit,
        debouncer=Debouncer(quiet=timedelta(0), max_wait=timedelta(0)),
    )
    reasons: dict[str, str] = {}
    try:
        for index, unit in enumerate(planned, start=1):
            services.bus.handle(ChangeUnitMode(unit, UnitMode.RECOMMEND, actor="demo", reason="demo seed"))
            try:
                outcome = services.bus.handle(PlanUnit(unit, actor="demo"))
            except CareshiftError as exc:
                reasons[unit] = f"planning failed: {exc}"
                progress(f"[{index}/{len(planned)}] {unit}: {reasons[unit]}")
                continue
            if outcome.recommendation is None:
                reasons[unit] = f"{outcome.note or 'nothing to change'} ({outcome.produced_by.value})"
            progress(f"[{index}/{len(planned)}] planned {unit}: {_described(outcome)}")
        for event in store.read():
            if isinstance(event.event, StaffCalledOut) and event.event.unit in planned:
                services.bus.handle(event.event)
        for outcome in services.bus.tick():
            progress(f"repaired {outcome.unit} after call-outs: {_described(outcome)}")
        counts = {unit: len(services.service.recommendations(unit)) for unit in planned}
        reasons = {unit: why for unit, why in reasons.items() if not counts[unit]}
    finally:
        services.close()
    return counts, reasons


def _described(outcome: object) -> str:
    """One line about a plan or repair outcome: the mode that produced it, the checker's
    verdict and the recommendation's summary and reason codes."""
    from careshift.service.usecases import PlanOutcome

    if not isinstance(outcome, PlanOutcome):
        return str(outcome)
    check = "feasible" if outcome.check.feasible else f"{outcome.check.hard_violations} hard breach(es)"
    line = f"{outcome.produced_by.value}, {check}"
    if outcome.fallback_reason:
        line += f" ({outcome.fallback_reason[:160]})"
    if outcome.recommendation is None:
        return f"{line}; {outcome.note or 'no recommendation'}"
    made = outcome.recommendation.recommendation
    return f"{line}: {made.summary} [{', '.join(reason.code for reason in made.reasons)}]"
