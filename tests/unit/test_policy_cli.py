"""`careshift policy check | diff | list` through typer's CliRunner."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from careshift.cli import app
from careshift.policy import load_pack

runner = CliRunner()
WIDE = {"COLUMNS": "200"}


def test_check_prints_the_resolved_rules_and_the_version() -> None:
    result = runner.invoke(app, ["policy", "check", "us-or-hb2697"], env=WIDE)
    assert result.exit_code == 0, result.output
    for rule_id in ("one-shift-per-day", "or-ratio-med-surg-2026", "or-max-12h-in-24h", "or-rest-after-12th-hour"):
        assert rule_id in result.output
    assert "2024-06-01 → 2026-05-31" in result.output
    assert "patients_per_nurse={icu: 2," in result.output
    assert "extends: global > us-or-hb2697" in result.output
    assert f"version: {load_pack('us-or-hb2697').version}" in result.output


def test_check_on_a_day_shows_only_rules_in_effect() -> None:
    result = runner.invoke(app, ["policy", "check", "us-or-hb2697", "--on", "2026-07-01"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "or-ratio-med-surg-2026" in result.output
    assert "or-ratio-med-surg\n" not in result.output and "or-ratio-med-surg " not in result.output
    assert "rules: 11 of 12" in result.output


def test_check_yaml_prints_a_pack_that_loads_to_the_same_rules(tmp_path: Path) -> None:
    result = runner.invoke(app, ["policy", "check", "union-sample", "--yaml"])
    assert result.exit_code == 0, result.output
    copy = tmp_path / "copy.yaml"
    copy.write_text(result.output, encoding="utf-8")
    assert load_pack(copy).rules == load_pack("union-sample").rules


def test_check_a_bad_file_exits_2_with_file_line_and_suggestion(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: bad\ntitle: Bad\nextends: global\nrules:\n  - id: x\n    family: consecutive_working_days\n"
        "    params: {maximun: 5}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["policy", "check", str(bad)])
    assert result.exit_code == 2
    assert f"error: {bad}:7: rule 'x': unknown parameter 'maximun'" in result.stderr
    assert "did you mean 'maximum'?" in result.stderr


def test_check_an_unknown_pack_exits_2() -> None:
    result = runner.invoke(app, ["policy", "check", "no-such-pack"])
    assert result.exit_code == 2
    assert "no policy file or bundled pack named 'no-such-pack'" in result.stderr


def test_diff_lists_added_removed_and_changed_fields(tmp_path: Path) -> None:
    child = tmp_path / "ca-4w.yaml"
    child.write_text(
        "id: ca-4w\ntitle: 4W\nextends: us-ca-title22\nrules:\n"
        "  - id: ca-ratio\n    params:\n      patients_per_nurse: {med_surg: 4}\n"
        "  - id: cover-target\n    disabled: true\n"
        "  - id: rest\n    family: min_rest_between_shifts\n    params: {hours: 12}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["policy", "diff", "us-ca-title22", str(child)])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert "- cover-target (cover_target)" in lines
    assert "+ rest (min_rest_between_shifts)" in lines
    assert "~ ca-ratio" in lines
    # a mapping param is merged entry by entry: only med_surg changed
    assert [line for line in lines if line.startswith("    ")] == ["    params.patients_per_nurse.med_surg: 5 → 4"]
    assert lines[-1] == "1 added, 1 removed, 1 changed"


def test_diff_of_a_pack_with_itself_is_empty_and_exits_0() -> None:
    result = runner.invoke(app, ["policy", "diff", "eu-wtd", "eu-wtd"])
    assert result.exit_code == 0
    assert "no differences in the resolved rules" in result.output


def test_list_shows_every_bundled_pack_with_its_version() -> None:
    result = runner.invoke(app, ["policy", "list"], env=WIDE)
    assert result.exit_code == 0, result.output
    for pack_id in ("global", "us-ca-title22", "us-or-hb2697", "us-wa-no-mandatory-ot", "uk-nice-sg1", "eu-wtd"):
        assert pack_id in result.output
        assert load_pack(pack_id).version in result.output


def test_diff_with_a_bad_pack_exits_2_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "cycle.yaml"
    bad.write_text("id: cycle\ntitle: C\nextends: cycle.yaml\n", encoding="utf-8")
    result = runner.invoke(app, ["policy", "diff", "global", str(bad)])
    assert result.exit_code == 2
    assert f"error: {bad}:3: extends cycle: cycle.yaml -> cycle.yaml" in result.stderr


def test_check_on_a_bad_date_exits_2() -> None:
    result = runner.invoke(app, ["policy", "check", "global", "--on", "2026-06-31"])
    assert result.exit_code == 2
    assert "--on '2026-06-31' is not a date" in result.stderr
