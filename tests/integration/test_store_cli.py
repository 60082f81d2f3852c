"""`careshift events stats` on a real database, chosen by --db or CARESHIFT_DATABASE_URL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from careshift.adapters.hl7v2.framing import Frame
from careshift.adapters.hl7v2.ingest import Hl7Ingestor
from careshift.adapters.keyed_hash import KeyedHasher
from careshift.adapters.store import SqlStore
from careshift.cli import app
from careshift.domain.errors import ServiceUnavailableError
from tests.hl7_builders import KEY, adt
from tests.integration.store_support import postgres_schema_url, sqlite_url


@pytest.fixture(params=["sqlite", "postgresql"])
def fed_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    def feed(url: str) -> None:
        store = SqlStore(url)
        ingestor = Hl7Ingestor(store, KeyedHasher(KEY))
        for raw in (
            adt("A01", "S1"),
            adt("A01", "S2", unit="ICU", visit="V2"),
            adt("A02", "S3", unit="ICU", prior="4W", minutes=10),
            adt("A11", "S4", unit="ICU", visit="V2", minutes=20),
            adt("A01", "S5", unit=""),
            b"junk",
        ):
            ingestor.handle(Frame(raw, len(raw)))
        store.close()

    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
        feed(url)
        yield url
    else:
        with postgres_schema_url() as url:
            feed(url)
            yield url


def test_stats_json_counts_events_and_quarantine(fed_db: str) -> None:
    result = CliRunner().invoke(app, ["events", "stats", "--json", "--db", fed_db])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)
    assert counts["total"] == 5 and counts["messages"] == 4 and counts["reversed"] == 1
    assert counts["by_kind"] == {"PatientArrived": 3, "PatientDeparted": 1, "EventReversed": 1}
    assert counts["by_source"] == {"hl7v2:EPIC@GENHOSP": 5}
    assert counts["by_unit"] == {"4W": 2, "ICU": 3}
    assert counts["quarantined"] == 2
    assert counts["quarantine_by_source"] == {"hl7v2/mllp": 2}
    assert counts["quarantine_by_code"] == {"100": 1, "101": 1}


def test_stats_reads_the_url_from_the_environment_and_prints_tables(
    fed_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARESHIFT_DATABASE_URL", fed_db)
    result = CliRunner().invoke(app, ["events", "stats"])
    assert result.exit_code == 0, result.output
    assert "5 events (1 reversed) from 4 messages; 2 quarantined" in result.output
    assert "PatientArrived" in result.output and "hl7v2/mllp" in result.output


def test_stats_refuses_a_missing_database_instead_of_creating_one(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["events", "stats", "--db", sqlite_url(tmp_path / "nowhere")])
    assert isinstance(result.exception, ServiceUnavailableError)
    assert "no database at" in str(result.exception)
    assert not (tmp_path / "nowhere").exists()
