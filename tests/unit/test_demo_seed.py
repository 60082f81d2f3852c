"""The demo's database guard and the feed files it builds (no solver, no sockets)."""

from __future__ import annotations

import random
import sqlite3
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from careshift.adapters.csv.importer import import_csv
from careshift.adapters.csv.memory import InMemoryReferenceData
from careshift.adapters.csv.schema import FileKind
from careshift.adapters.hl7v2.mapping import map_adt
from careshift.adapters.hl7v2.message import Hl7Message, codec_for, read_header
from careshift.adapters.keyed_hash import KeyedHasher
from careshift.adapters.store import MemoryStore
from careshift.cli import app
from careshift.cli.demo_seed import (
    callouts_csv,
    census_csv,
    census_history_csv,
    choose_callouts,
    database_kind,
    mark_database,
    prepare_database,
    replayed_day,
    roster_csv,
    staff_csv,
    store_census_forecasts,
    units_csv,
)
from careshift.domain.events import PatientArrived
from careshift.domain.time import Horizon
from careshift.service.errors import ConflictError
from careshift.sim import generate_hospital, naive_roster

NOW = datetime(2026, 3, 4, 9, tzinfo=UTC)


def test_a_database_the_demo_did_not_make_is_refused_without_force(tmp_path: Path) -> None:
    path = tmp_path / "real.db"
    with sqlite3.connect(path) as connection:
        connection.execute("create table ward (id text)")
    url = f"sqlite:///{path}"
    assert database_kind(url) == "other"
    with pytest.raises(ConflictError, match="--force"):
        prepare_database(url, force=False)
    assert path.exists() and database_kind(url) == "other"

    result = CliRunner().invoke(app, ["demo", "--no-serve", "--weeks", "1", "--db", url])
    assert isinstance(result.exception, ConflictError)
    assert database_kind(url) == "other"

    assert prepare_database(url, force=True) == "other"
    assert database_kind(url) == "empty"


def test_a_demo_database_is_replaced_without_asking(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert database_kind(url) == "empty"
    mark_database(url, 1, NOW)
    assert database_kind(url) == "demo"
    assert prepare_database(url, force=False) == "demo"
    assert database_kind(url) == "empty"


def test_the_feed_files_pass_the_real_csv_contracts() -> None:
    hospital = generate_hospital(random.Random(1), weeks=1)
    roster = naive_roster(hospital, random.Random(1))
    store, reference = MemoryStore(), InMemoryReferenceData()
    horizon = Horizon(date(2026, 2, 28), 14)
    today = date(2026, 3, 3)
    callouts = choose_callouts(roster, ("msu",), today, random.Random(1))
    assert len(callouts) == 2 and callouts[0].day == callouts[1].day and callouts[0].shift == callouts[1].shift
    assert all(a.unit == "msu" and a.day > today for a in callouts)
    counted = datetime(2026, 3, 3, 8, tzinfo=UTC)
    for name, kind, data, rows in (
        ("units.csv", FileKind.UNITS, units_csv(hospital.units), len(hospital.units)),
        ("staff.csv", FileKind.STAFF, staff_csv(hospital.staff), len(hospital.staff)),
        ("roster.csv", FileKind.ROSTER, roster_csv(hospital, roster), len(roster)),
        ("census.csv", FileKind.CENSUS, census_csv(hospital, counted), len(hospital.units)),
        ("callouts.csv", FileKind.CALLOUTS, callouts_csv(callouts, NOW), 2),
    ):
        outcome = import_csv(data, name, kind, store, reference, now=NOW, horizon=horizon)
        assert outcome.quarantined == () and outcome.rows == rows == outcome.imported, name
    stored = {record.staff.id: record.staff for record in reference.staff()}
    for member in hospital.staff:  # everything planning needs survives the trip through the file
        back = stored[member.id]
        assert (back.skills, set(back.credentials), back.contract_id, back.home_unit) == (
            member.skills,
            set(member.credentials),
            member.contract_id,
            member.home_unit,
        )
        assert back.roles == member.roles | ({"RN"} if "CHARGE" in member.roles else set())
    # each shift is filed under the day it starts on the unit's clock (Los Angeles), not in UTC
    assert {(e.staff, e.day, e.shift) for e in store.roster(horizon.start, horizon.days[-1])} == {
        (a.staff, a.day, a.shift) for a in roster
    }


def test_the_replayed_day_maps_to_admissions_and_never_carries_raw_patient_ids() -> None:
    messages = replayed_day(("4W", "icu"), NOW, random.Random(3))
    hasher = KeyedHasher(b"k" * 32)
    arrivals = 0
    for raw in messages:
        header = read_header(raw)
        mapped = map_adt(Hl7Message(raw, header, codec_for(header)), hasher, NOW, UTC)
        for event in mapped.events:
            assert "MRN" not in repr(event)
            arrivals += isinstance(event, PatientArrived)
    assert arrivals >= 20
    assert len({raw.split(b"|")[9] for raw in messages}) == len(messages)  # unique MSH-10


def test_the_census_history_is_hourly_for_four_weeks_before_the_replay_and_passes_the_census_contract() -> None:
    until = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
    data = census_history_csv(1, until)
    lines = data.decode().splitlines()
    assert lines[0] == "unit,at,patients"
    stamps = [datetime.fromisoformat(line.split(",")[1]) for line in lines[1:]]
    # the first whole hour four weeks before ``until`` (01:30 in Los Angeles, before the sim's 07:00 day)
    assert min(stamps) == datetime(2026, 2, 3, 10, tzinfo=UTC) and max(stamps) == datetime(2026, 3, 3, 9, tzinfo=UTC)
    assert len(lines) - 1 == 4 * 28 * 24  # four units, every hour of four weeks, none at or after ``until``
    store, reference = MemoryStore(), InMemoryReferenceData()
    import_csv(
        units_csv(generate_hospital(random.Random(1), weeks=1).units),
        "u.csv",
        FileKind.UNITS,
        store,
        reference,
        now=NOW,
    )
    outcome = import_csv(
        data, "h.csv", FileKind.CENSUS, store, reference, now=NOW, horizon=Horizon(date(2026, 2, 1), 35)
    )
    assert outcome.quarantined == () and outcome.rows == 4 * 28 * 24


def test_without_the_forecast_extra_no_run_is_stored_and_the_demo_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "lightgbm", None)  # import lightgbm now raises ImportError
    lines: list[str] = []
    hospital = generate_hospital(random.Random(1), weeks=1)
    runs = store_census_forecasts("sqlite://", MemoryStore(), hospital.units, NOW, progress=lines.append)  # type: ignore[arg-type]
    assert runs == {}
    (line,) = lines
    assert line.startswith("census forecasts not stored: the forecast extra is not importable (")
    assert line.endswith("plans use the census")
