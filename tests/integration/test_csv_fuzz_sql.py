"""The CSV fuzz property against the real databases: whatever the cells hold, every row is
imported, skipped or quarantined, and nothing the database refuses (NUL bytes, long values)
escapes the importer. Fewer examples than the in-memory property test: each one commits."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careshift.adapters.csv.importer import import_csv
from careshift.adapters.csv.schema import FileKind
from careshift.adapters.store import SqlStore
from careshift.adapters.store.imports import SqlReferenceData
from tests.integration.store_support import postgres_schema_url, sqlite_url
from tests.property.test_csv_rows import csv_files
from tests.unit.csv_builders import STAFF, UNITS

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
EXAMPLES = int(os.environ.get("CSV_FUZZ_EXAMPLES", "40"))


def fuzz(url: str) -> None:
    store = SqlStore(url)
    reference = SqlReferenceData(store.engine)
    try:
        import_csv(UNITS, "units.csv", FileKind.UNITS, store, reference, now=NOW)
        import_csv(STAFF, "staff.csv", FileKind.STAFF, store, reference, now=NOW)

        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(csv_files(), st.sampled_from(["fuzz.csv", "ünïcode name.csv"]))
        def one_file(file: tuple[FileKind, bytes], name: str) -> None:
            kind, data = file
            outcome = import_csv(data, name, kind, store, reference, now=NOW)
            assert outcome.imported + outcome.skipped + len(outcome.quarantined) == outcome.rows
            again = import_csv(data, name, kind, store, reference, now=NOW)
            assert (again.imported, again.quarantined) == (0, ())

        one_file()
    finally:
        store.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_fuzzed_csv_files_import_or_quarantine_on_real_databases(backend: str, tmp_path: Path) -> None:
    if backend == "sqlite":
        fuzz(sqlite_url(tmp_path))
    else:
        with postgres_schema_url() as url:
            fuzz(url)
