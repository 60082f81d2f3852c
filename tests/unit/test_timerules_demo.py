"""`careshift demo` end to end through Typer's CliRunner on the real root app."""

from typer.testing import CliRunner

from careshift.cli import app, demo


def test_demo_prints_the_violation_table_and_summary() -> None:
    result = CliRunner().invoke(app, ["demo", "--seed", "1", "--no-serve"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Violations by rule (us-ca-title22 + house rules)" in result.output
    assert "ca-ratio" in result.output and "Nurse-to-patient ratio" in result.output
    assert "Worst examples" in result.output
    assert "1519 shifts over 4 week(s)" in result.output
    assert "hard violations (infeasible)" in result.output
    assert "nothing to serve" not in result.output


def test_demo_without_no_serve_says_there_is_nothing_to_serve_yet() -> None:
    result = CliRunner().invoke(app, ["demo", "--weeks", "1"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "nothing to serve" in result.output


def test_demo_run_is_deterministic_and_examples_cover_each_breached_rule() -> None:
    first, again = demo.build_demo(2, 1), demo.build_demo(2, 1)
    assert first.report == again.report
    assert first.unchecked == ()
    breached = {v.rule_id for v in first.report.violations}
    shown = demo.worst_examples(first.report, 50)
    assert {v.rule_id for v in shown} == breached
    hard_rules = len({v.rule_id for v in shown if v.hard})
    assert all(v.hard for v in shown[:hard_rules])
