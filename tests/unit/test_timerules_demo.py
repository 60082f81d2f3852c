"""`careshift demo` end to end through Typer's CliRunner."""

import typer
from typer.testing import CliRunner

from careshift.cli import demo


def demo_app() -> typer.Typer:
    # A root with a callback, as the real one is once several areas register commands
    # (Typer runs a lone command as the root itself).
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """careshift"""

    demo.register(app)
    return app


def test_demo_prints_the_violation_table_and_summary() -> None:
    result = CliRunner().invoke(
        demo_app(), ["demo", "--seed", "1", "--weeks", "1", "--no-serve"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "Violations by rule (us-ca-title22 + house rules)" in result.output
    assert "ca-ratio" in result.output and "Nurse-to-patient ratio" in result.output
    assert "Worst examples" in result.output
    assert "hard violations (infeasible)" in result.output
    assert "nothing to serve" not in result.output


def test_demo_run_is_deterministic_and_examples_cover_each_breached_rule() -> None:
    first, again = demo.build_demo(2, 1), demo.build_demo(2, 1)
    assert first.report == again.report
    breached = {v.rule_id for v in first.report.violations}
    shown = demo.worst_examples(first.report, 50)
    assert {v.rule_id for v in shown} == breached
    assert [v.hard for v in shown[: len({v.rule_id for v in shown if v.hard})]] == [True] * len(
        {v.rule_id for v in shown if v.hard}
    )
