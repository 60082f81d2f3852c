"""`careshift demo` end to end through Typer's CliRunner on the real root app."""

from pathlib import Path

from typer.testing import CliRunner

from careshift.cli import app, demo
from careshift.domain.errors import DomainError


def test_demo_prints_the_violation_table_and_summary(tmp_path: Path) -> None:
    # The smallest seeding (one planned unit, 1 s solves) keeps this a unit test; --start
    # fixes the hospital's weeks (its census and holidays), so the shift count is known.
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    args = ["demo", "--seed", "1", "--no-serve", "--db", db, "--units", "icu", "--time-limit", "1"]
    args += ["--start", "2026-03-02"]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Violations by rule (us-ca-title22 + house rules)" in result.output
    assert "ca-ratio" in result.output and "Nurse-to-patient ratio" in result.output
    assert "Worst examples" in result.output
    assert "1519 shifts over 4 week(s)" in result.output
    assert "hard violations (infeasible)" in result.output
    assert "nothing to serve" not in result.output
    assert "planned icu" in result.output and "recommendations per unit (icu: " in result.output


def test_demo_refuses_bad_options_before_touching_the_database(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    for option, message in (
        (["--units", "icu,4W"], "--units names 4W, not a unit of the synthetic hospital; choose from icu"),
        (["--start", "March"], "--start 'March' is not a date; write it as YYYY-MM-DD"),
    ):
        result = CliRunner().invoke(app, ["demo", "--no-serve", "--db", f"sqlite:///{db}", *option])
        assert message in str(result.exception), result.output
        assert not db.exists()


def test_demo_refuses_to_serve_outside_development_before_touching_the_database(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    result = CliRunner().invoke(
        app, ["demo", "--weeks", "1", "--db", f"sqlite:///{db}"], env={"CARESHIFT_ENVIRONMENT": "production"}
    )
    assert isinstance(result.exception, DomainError)
    assert "CARESHIFT_ENVIRONMENT=development" in str(result.exception)
    assert not db.exists()


def test_demo_run_is_deterministic_and_examples_cover_each_breached_rule() -> None:
    first, again = demo.build_demo(2, 1), demo.build_demo(2, 1)
    assert first.report == again.report
    assert first.unchecked == ()
    breached = {v.rule_id for v in first.report.violations}
    shown = demo.worst_examples(first.report, 50)
    assert {v.rule_id for v in shown} == breached
    hard_rules = len({v.rule_id for v in shown if v.hard})
    assert all(v.hard for v in shown[:hard_rules])
