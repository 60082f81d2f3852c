"""`careshift ingest fhir` against the real FHIR test server: an incremental Bulk export into
the store's event stream and event log, bad resources in quarantine with hashed ids, and the
checkpoint kept in the store so the second run asks only for what changed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from careshift.adapters.keyed_hash import KeyedHasher
from careshift.adapters.store import open_store
from careshift.adapters.store.stream_log import SqlExportCheckpoints
from careshift.cli import app
from careshift.domain.events import PatientArrived
from tests.fhir_keys import pem, public_jwk, registration
from tests.fhir_samples import appointment, child, encounter, ward
from tests.integration.fhir_server_process import FhirTestServer, running_fhir_server
from tests.integration.store_support import sqlite_url

pytestmark = pytest.mark.services

KEY = b"fhir-cli-test-key-0123456789abcdef"


@pytest.fixture(scope="module")
def server() -> Iterator[FhirTestServer]:
    with running_fhir_server() as running:
        yield running


def run_cli(server: FhirTestServer, key_file: Path, db: str, alg: str, *extra: str) -> str:
    args = ["ingest", "fhir", "--base", server.base_url, "--client-id", f"cli-{alg}", "--key", str(key_file)]
    args += ["--alg", alg, "--key-id", f"cli-{alg}-1", "--token-url", server.token_url, "--db", db, "--poll", "0.1"]
    result = CliRunner().invoke(app, [*args, *extra], env={"CARESHIFT_ID_HASH_KEY": KEY.decode(), "COLUMNS": "160"})
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


@pytest.mark.parametrize("alg", ["RS384", "ES384"])
def test_ingest_fhir_exports_incrementally_into_the_event_log(server: FhirTestServer, tmp_path: Path, alg: str) -> None:
    server.admin("reset")
    server.admin("config", {"tokenTtlSeconds": 300, "exportPolls": 1, "exportRetryAfterSeconds": 0})
    reg, key = registration(server.token_url, alg, f"cli-{alg}")  # type: ignore[arg-type]
    server.admin("clients", {"client_id": reg.client_id, "jwks": {"keys": [public_jwk(key, f"cli-{alg}-1")]}})
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(pem(key))
    db = sqlite_url(tmp_path)

    server.seed([ward("w4", "4 West"), child("b1", "w4", "bd"), child("b2", "w4", "bd")])
    server.seed(
        [
            encounter("e1", "in-progress", [("b1", "2026-03-01T08:00:00+00:00", None)]),
            encounter("e2", "in-progress", [("b2", "2026-03-01T09:00:00+00:00", None)]),
            encounter("bad", "admitted", [("b2", "2026-03-01T09:00:00+00:00", None)]),
            appointment("a1", "booked", "w4", "2026-03-03T09:00:00+00:00", "2026-03-03T10:00:00+00:00"),
        ]
    )
    first = run_cli(server, key_file, db, alg)
    assert "exported 4 resources changed since the beginning" in first
    assert "3 events published, 3 new in the event log, 1 quarantined" in first

    hasher = KeyedHasher(KEY)
    store = open_store(db)
    try:
        arrivals = [s.event for s in store.read() if isinstance(s.event, PatientArrived)]
        # The same token HL7 v2 gives visit number e1 without an assigning authority.
        assert hasher.token("enc", "e1", "") in {event.entity_id for event in arrivals}
        (rejected,) = store.quarantined(source="fhir/Encounter")
        assert rejected.record.location == hasher("Encounter", "bad") and rejected.record.location.startswith("enc:")
        assert "Encounter.status is 'admitted'" in rejected.record.reason
        assert rejected.record.payload is None and rejected.record.source_system == f"fhir:{server.base_url}"
        checkpoint = SqlExportCheckpoints(store.engine).last_transaction_time(f"fhir:{server.base_url}/census")
        assert checkpoint is not None
    finally:
        store.close()

    time.sleep(0.05)  # lastUpdated has millisecond resolution
    server.seed([encounter("e1", "finished", [("b1", "2026-03-01T08:00:00+00:00", "2026-03-02T10:00:00+00:00")])])
    second = run_cli(server, key_file, db, alg)
    assert f"exported 1 resources changed since {checkpoint.isoformat()}" in second
    assert "2 events published, 1 new in the event log, 0 quarantined" in second

    third = run_cli(server, key_file, db, alg, "--since", "full")
    assert "exported 4 resources changed since the beginning" in third
    assert "0 new in the event log, 1 quarantined" in third
    store = open_store(db)
    try:
        counts = store.counts()
        assert counts.quarantined == 1  # the same bad resource again: one row, a second attempt
        assert store.quarantined(source="fhir/Encounter")[0].attempts == 2
    finally:
        store.close()
