"""`careshift import csv` and `careshift quality` through a local Typer app on a SQLite file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from careshift.cli import csvimport, quality
from careshift.domain.errors import DataContractError

UNITS = "unit_id,name,unit_type,timezone,beds\n4W,4 West,med_surg,UTC,20\n"
STAFF = "staff_id,roles,home_unit\nN1,RN,4W\nN2,CHARGE,4W\nN3,CNA,4W\n"


def app() -> typer.Typer:
    root = typer.Typer()
    csvimport.register(root)
    quality.register(root)
    return root


@pytest.fixture
def files(tmp_path: Path) -> tuple[str, Path]:
    (tmp_path / "units.csv").write_text(UNITS)
    (tmp_path / "staff.csv").write_text(STAFF)
    return f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path


def test_import_prints_counts_and_reasons_and_a_second_run_is_a_no_op(files: tuple[str, Path]) -> None:
    db, folder = files
    runner = CliRunner()
    first = runner.invoke(app(), ["import", "csv", "--kind", "units", str(folder / "units.csv"), "--db", db])
    assert first.exit_code == 0, first.output
    assert "units.csv (units/1): 1 rows: 1 imported, 0 skipped, 0 quarantined" in first.output

    staff = runner.invoke(app(), ["import", "csv", "--kind", "staff", str(folder / "staff.csv"), "--db", db])
    assert staff.exit_code == 1
    assert "3 rows: 2 imported, 0 skipped, 1 quarantined" in staff.output
    assert "line 3 (row 2): column roles: roles list CHARGE without RN; fix: add RN" in staff.output

    again = runner.invoke(app(), ["import", "csv", "--kind", "staff", str(folder / "staff.csv"), "--db", db, "--json"])
    assert again.exit_code == 0
    outcome = json.loads(again.output)
    assert (outcome["imported"], outcome["skipped"], outcome["quarantined"]) == (0, 3, 0)
    assert outcome["already_imported_at"] is not None and outcome["contract"] == "staff/1"


def test_json_lists_quarantined_rows_and_contract_flag_selects_the_version(files: tuple[str, Path]) -> None:
    db, folder = files
    result = CliRunner().invoke(
        app(),
        ["import", "csv", "--kind", "staff", str(folder / "staff.csv"), "--db", db, "--contract", "2", "--json"],
    )
    # staff/2 requires updated_at, which this file lacks: the whole file is refused.
    assert isinstance(result.exception, DataContractError)
    assert "misses required columns updated_at" in str(result.exception)


def test_horizon_flags_widen_the_accepted_dates(files: tuple[str, Path]) -> None:
    db, folder = files
    runner = CliRunner()
    runner.invoke(app(), ["import", "csv", "--kind", "units", str(folder / "units.csv"), "--db", db])
    census = folder / "census.csv"
    census.write_text("unit,at,patients\n4W,2020-01-01T03:00:00Z,5\n")
    refused = runner.invoke(app(), ["import", "csv", "--kind", "census", str(census), "--db", db, "--json"])
    assert refused.exit_code == 1 and "outside the horizon" in refused.output
    census.write_text("unit,at,patients\n4W,2020-01-01T03:00:00Z,5\n\n")  # new bytes: a new file
    accepted = runner.invoke(
        app(),
        ["import", "csv", "--kind", "census", str(census), "--db", db, "--horizon-start", "2019-12-01"],
    )
    assert accepted.exit_code == 0 and "1 imported" in accepted.output


def test_quality_exit_codes_follow_the_verdict(files: tuple[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    db, folder = files
    runner = CliRunner()
    missing = runner.invoke(app(), ["quality", "--db", db])
    assert "no database at" in str(missing.exception)  # a read-only check never creates a database

    runner.invoke(app(), ["import", "csv", "--kind", "units", str(folder / "units.csv"), "--db", db])
    (folder / "dated.csv").write_text(f"staff_id,roles,updated_at\nN1,RN,{datetime.now(UTC).isoformat()}\n")
    runner.invoke(app(), ["import", "csv", "--kind", "staff", str(folder / "dated.csv"), "--db", db])
    census = folder / "census.csv"
    census.write_text(f"unit,at,patients\n4W,{datetime.now(UTC).isoformat()},12\n")
    runner.invoke(app(), ["import", "csv", "--kind", "census", str(census), "--db", db])
    ok = runner.invoke(app(), ["quality", "--db", db])
    assert ok.exit_code == 0, ok.output
    assert (
        "checked 1 staff, 0 assignments, 1 census reports, 97 census intervals" in ok.output
        and "verdict: ok (0 blocking, 0 warning(s))" in ok.output
    )

    monkeypatch.setenv("CARESHIFT_QUALITY_CENSUS_MAX_AGE_MIN", "1")
    monkeypatch.setenv("CARESHIFT_QUALITY_CENSUS_BLOCK_AGE_MIN", "1")
    (folder / "units2.csv").write_text(UNITS + "ICU,ICU,icu,UTC,8\n")
    runner.invoke(app(), ["import", "csv", "--kind", "units", str(folder / "units2.csv"), "--db", db])
    blocked = runner.invoke(app(), ["quality", "--db", db, "--json"])
    assert blocked.exit_code == 3
    report = json.loads(blocked.output)
    assert report["verdict"] == "block" and report["findings"][0]["check"] == "missing_census"
    assert report["findings"][0]["record"] == "unit ICU"

    monkeypatch.setenv("CARESHIFT_QUALITY_BLOCK_AT", "5")
    warned = runner.invoke(app(), ["quality", "--db", db])
    assert warned.exit_code == 1 and "[block] missing_census: unit ICU" in warned.output
    assert "verdict: warn (1 blocking, 0 warning(s))" in warned.output


def test_a_block_from_escalated_warnings_says_so(files: tuple[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """A block with no blocking finding names the warning escalation that caused it."""
    db, folder = files
    runner = CliRunner()
    runner.invoke(app(), ["import", "csv", "--kind", "units", str(folder / "units.csv"), "--db", db])
    (folder / "undated.csv").write_text("staff_id,roles\nN1,RN\nN2,RN\n")  # no updated_at: one warning each
    runner.invoke(app(), ["import", "csv", "--kind", "staff", str(folder / "undated.csv"), "--db", db])
    (folder / "census.csv").write_text(f"unit,at,patients\n4W,{datetime.now(UTC).isoformat()},12\n")
    runner.invoke(app(), ["import", "csv", "--kind", "census", str(folder / "census.csv"), "--db", db])
    monkeypatch.setenv("CARESHIFT_QUALITY_ESCALATE_WARNINGS", "2")
    result = runner.invoke(app(), ["quality", "--db", db])
    assert result.exit_code == 3, result.output
    assert (
        "verdict: block (0 blocking, 2 warning(s); 2 warnings reach the escalation limit of 2 "
        "(CARESHIFT_QUALITY_ESCALATE_WARNINGS))" in result.output
    )
