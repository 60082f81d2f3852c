"""Migration 0002 creates exactly the columns of the CSV reference-data models, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from careshift.adapters.store import upgrade
from careshift.adapters.store.imports import ImportFileRow, ShiftTimeRow, StaffRecordRow, UnitRecordRow
from tests.integration.store_support import postgres_schema_url, sqlite_url


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
        upgrade(url)
        yield url
    else:
        with postgres_schema_url() as url:
            upgrade(url)
            yield url


def test_reference_tables_match_their_models(migrated: str) -> None:
    engine = create_engine(migrated)
    try:
        for model in (ImportFileRow, UnitRecordRow, StaffRecordRow, ShiftTimeRow):
            table = model.__table__
            columns = {column["name"] for column in inspect(engine).get_columns(table.name)}
            assert columns == set(table.columns.keys()), table.name
    finally:
        engine.dispose()
