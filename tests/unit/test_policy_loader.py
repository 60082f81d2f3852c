"""Policy pack loading: validation errors name the file, the line and the nearest key;
``extends`` chains resolve with overrides; effective dates select rules."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from textwrap import dedent

import pytest

from careshift.domain.errors import PolicyError
from careshift.domain.rules import ConsecutiveWorkingDays, NurseToPatientRatio, Scope
from careshift.domain.time import Horizon
from careshift.policy import bundled_packs, load_pack, load_text


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(dedent(text).lstrip(), encoding="utf-8")
    return path


BASE = """
id: base
title: Base pack
jurisdiction: XX
rules:
  - id: max-days
    family: consecutive_working_days
    params:
      maximum: 6
    hard: true
    citation: contract art. 7
    reason: "{staff} works {amount} day(s) too many by {day}"
  - id: ratio
    family: nurse_to_patient_ratio
    params:
      patients_per_nurse: {icu: 2, med_surg: 5}
  - id: rest
    family: min_rest_between_shifts
    params: {hours: 10}
    weight: 50
"""


def test_a_typo_in_a_param_names_file_line_and_the_nearest_param(tmp_path: Path) -> None:
    path = write(tmp_path, "typo.yaml", BASE.replace("      maximum: 6", "      maximun: 6"))
    with pytest.raises(PolicyError) as caught:
        load_pack(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:8: ")
    assert "unknown parameter 'maximun'" in message
    assert "did you mean 'maximum'?" in message
    assert caught.value.source == str(path)
    assert caught.value.location == "8"


def test_a_typo_in_a_rule_key_suggests_the_rule_key(tmp_path: Path) -> None:
    path = write(tmp_path, "typo.yaml", BASE.replace("    citation: contract", "    citaton: contract"))
    with pytest.raises(PolicyError, match=r"typo\.yaml:10: unknown key 'citaton' in rule; did you mean 'citation'\?"):
        load_pack(path)


def test_a_typo_in_a_pack_key_and_in_a_scope_key(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r":2: unknown key 'titel' in pack; did you mean 'title'\?"):
        load_text("id: x\ntitel: X\n", source="pack.yaml")
    text = "id: x\ntitle: X\nrules:\n  - id: a\n    family: one_shift_per_day\n    scope: {unit: [4W]}\n"
    with pytest.raises(PolicyError, match=r"pack\.yaml:6: unknown key 'unit' in rule 'a' scope; did you mean 'units'"):
        load_text(text, source="pack.yaml")


def test_an_unknown_family_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    path = write(
        tmp_path, "fam.yaml", BASE.replace("family: consecutive_working_days", "family: consecutive_work_days")
    )
    with pytest.raises(PolicyError) as caught:
        load_pack(path)
    assert str(caught.value).startswith(f"{path}:6: ")
    assert "unknown family 'consecutive_work_days'; did you mean 'consecutive_working_days'?" in str(caught.value)


def test_an_unknown_family_with_nothing_close_lists_the_families() -> None:
    text = "id: x\ntitle: X\nrules:\n  - id: a\n    family: zzz\n"
    with pytest.raises(PolicyError, match="valid: 'assignment_count', "):
        load_text(text)


@pytest.mark.parametrize(
    ("old", "new", "line", "expected"),
    [
        ("maximum: 6", "maximum: six", 8, "param maximum must be a whole number, got 'six'"),
        ("maximum: 6", "maximum: 6.5", 8, "must be a whole number"),
        ("maximum: 6", "maximum: true", 8, "must be a whole number"),
        ("{icu: 2, med_surg: 5}", "{icu: two}", 15, "param patients_per_nurse.icu must be a whole number, got 'two'"),
        ("{icu: 2, med_surg: 5}", "[icu, 2]", 15, "must be a mapping of text to a whole number"),
        ("{hours: 10}", "{hours: ten}", 18, "param hours must be a number, got 'ten'"),
        ("hard: true", "hard: maybe", 9, "hard must be true or false"),
        ("weight: 50", "weight: -1", 19, "weight must be 0 or more"),
        ("weight: 50", "weight: 5.5", 19, "weight must be a whole number"),
    ],
)
def test_wrong_param_types_are_refused_at_their_line(old: str, new: str, line: int, expected: str) -> None:
    assert old in BASE
    with pytest.raises(PolicyError) as caught:
        load_text(dedent(BASE).lstrip().replace(old, new), source="p.yaml")
    assert caught.value.location == str(line)
    assert expected in caught.value.detail


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-13-01", "cannot read '2026-13-01'"),
        ("'2026-02-30'", "must be a date written YYYY-MM-DD"),
        ("June 2026", "must be a date written YYYY-MM-DD"),
        ("2026-06-01 10:00:00", "not a date and time"),
    ],
)
def test_bad_dates_are_refused_at_their_line(value: str, expected: str) -> None:
    text = f"id: x\ntitle: X\nrules:\n  - id: a\n    family: one_shift_per_day\n    effective_from: {value}\n"
    with pytest.raises(PolicyError) as caught:
        load_text(text, source="d.yaml")
    assert caught.value.location == "6"
    assert expected in caught.value.detail


def test_a_value_the_family_refuses_is_reported_at_the_params_line() -> None:
    text = "id: x\ntitle: X\nrules:\n  - id: a\n    family: nurse_to_patient_ratio\n    params:\n"
    text += "      patients_per_nurse: {icu: 0}\n"
    with pytest.raises(PolicyError, match=r"r\.yaml:6: rule 'a': nurse_to_patient_ratio: icu has 0 patients per nurse"):
        load_text(text, source="r.yaml")


def test_a_misspelt_unit_type_or_kind_is_refused_with_the_nearest_word() -> None:
    # a ratio for "medsurg" would otherwise silently bind no unit at all
    with pytest.raises(
        PolicyError, match=r"p\.yaml:15: .*patients_per_nurse: unknown 'medsurg'; did you mean 'med_surg'"
    ):
        load_text(dedent(BASE).lstrip().replace("med_surg: 5", "medsurg: 5"), source="p.yaml")
    text = "id: x\ntitle: X\nrules:\n  - id: a\n    family: fair_share\n    params:\n      kind: nigths\n"
    with pytest.raises(PolicyError, match=r"f\.yaml:7: rule 'a' param kind: unknown 'nigths'; did you mean 'nights'"):
        load_text(text, source="f.yaml")


def test_dates_in_the_wrong_order_are_refused() -> None:
    text = (
        "id: x\ntitle: X\nrules:\n  - id: a\n    family: one_shift_per_day\n"
        "    effective_from: 2026-06-01\n    effective_to: 2026-01-01\n"
    )
    with pytest.raises(PolicyError, match=r"d\.yaml:7: rule 'a': effective_to 2026-01-01 is before effective_from"):
        load_text(text, source="d.yaml")


def test_other_structural_mistakes_name_their_line() -> None:
    cases = {
        "id: x\ntitle: X\nrules:\n  - id: a\n    family: one_shift_per_day\n  - id: a\n    family: skill_required\n": (
            "6",
            "defined twice",
        ),
        "id: x\ntitle: X\nrules:\n  - id: a\n": ("4", "needs a 'family'"),
        "id: x\ntitle: X\ntitle: Y\n": ("3", "duplicate key 'title'"),
        "id: x\ntitle: X\nrules: {a: 1}\n": ("3", "'rules' must be a list"),
        "id: x\ntitle: [X\n": ("3", "not valid YAML"),
        "id: Big Pack\ntitle: X\n": ("1", "must be lower-case"),
        "title: X\n": ("1", "pack is missing 'id'"),
        "id: x\ntitle: X\nrules:\n  - id: a\n    family: one_shift_per_day\n    reason: '{staf} on {day}'\n": (
            "6",
            "reason uses {staf}; did you mean 'staff'?",
        ),
        "id: x\ntitle: X\nrules:\n  - id: a\n    family: one_shift_per_day\n    params: {hours: 3}\n": (
            "6",
            "family 'one_shift_per_day' takes no params",
        ),
    }
    for text, (line, expected) in cases.items():
        with pytest.raises(PolicyError) as caught:
            load_text(text, source="s.yaml")
        assert (caught.value.location, expected in caught.value.detail) == (line, True), caught.value


def test_an_empty_file_is_an_error_naming_it(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.yaml", "\n")
    with pytest.raises(PolicyError, match="empty.yaml:1: the file is empty"):
        load_pack(path)


def test_an_unknown_pack_reference_suggests_a_bundled_pack() -> None:
    with pytest.raises(PolicyError, match="did you mean 'us-ca-title22'"):
        load_pack("us-ca-title2")


def test_a_pack_loads_into_domain_rules_with_defaults_from_the_pack() -> None:
    pack = load_text(BASE)
    assert [rule.id for rule in pack.rules] == ["max-days", "ratio", "rest"]
    days = pack.rule("max-days")
    assert days.spec == ConsecutiveWorkingDays(maximum=6)
    assert (days.hard, days.jurisdiction, days.citation) == (True, "XX", "contract art. 7")
    ratio = pack.rule("ratio")
    assert isinstance(ratio.spec, NurseToPatientRatio)
    assert dict(ratio.spec.patients_per_nurse) == {"icu": 2, "med_surg": 5}
    assert ratio.spec.roles == frozenset({"RN"})  # the family's default
    rest = pack.rule("rest")
    assert (rest.hard, rest.weight) == (False, 50)  # a weight without `hard` means soft
    assert rest.spec.hours == 10.0  # type: ignore[attr-defined]
    assert isinstance(rest.spec.hours, float)  # type: ignore[attr-defined]


def write_chain(tmp_path: Path) -> Path:
    write(tmp_path, "base.yaml", BASE)
    write(
        tmp_path,
        "region.yaml",
        """
        id: region
        title: Region
        jurisdiction: XX-R
        extends: base
        effective_from: 2026-01-01
        rules:
          - id: ratio
            params:
              patients_per_nurse: {med_surg: 4, step_down: 3}
          - id: rest
            disabled: true
          - id: new-rest
            family: min_rest_between_shifts
            params: {hours: 11}
        """,
    )
    return write(
        tmp_path,
        "unit.yaml",
        """
        id: unit-4w
        title: 4 West
        extends: region.yaml
        rules:
          - id: max-days
            params: {maximum: 5}
            weight: 7
            scope: {units: [4W]}
          - id: new-rest
            effective_to: 2026-12-31
        """,
    )


def test_extends_chains_global_region_unit_with_partial_overrides(tmp_path: Path) -> None:
    pack = load_pack(write_chain(tmp_path))
    assert pack.lineage == ("base", "region", "unit-4w")
    assert [rule.id for rule in pack.rules] == ["max-days", "ratio", "new-rest"]
    days = pack.rule("max-days")
    assert days.spec == ConsecutiveWorkingDays(maximum=5)
    assert (days.hard, days.weight) == (False, 7)
    assert days.scope == Scope(units=frozenset({"4W"}))
    assert days.citation == "contract art. 7"  # untouched fields are inherited
    assert days.jurisdiction == "XX"  # the rule keeps the jurisdiction of the pack that defined it
    ratio = pack.rule("ratio")
    # a mapping param is merged entry by entry
    assert dict(ratio.spec.patients_per_nurse) == {"icu": 2, "med_surg": 4, "step_down": 3}  # type: ignore[attr-defined]
    new_rest = pack.rule("new-rest")
    assert (new_rest.jurisdiction, new_rest.effective_from, new_rest.effective_to) == (
        "XX-R",
        date(2026, 1, 1),
        date(2026, 12, 31),
    )
    assert pack.origins["max-days"] == ("base", "unit-4w")
    assert pack.origins["new-rest"] == ("region", "unit-4w")


def test_a_partial_param_override_keeps_the_other_params(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    child = write(
        tmp_path,
        "child.yaml",
        """
        id: child
        title: Child
        extends: base
        rules:
          - id: ratio
            params: {break_minutes: 45}
        """,
    )
    spec = load_pack(child).rule("ratio").spec
    assert isinstance(spec, NurseToPatientRatio)
    assert (dict(spec.patients_per_nurse), spec.break_minutes) == ({"icu": 2, "med_surg": 5}, 45)


def test_override_errors_name_the_child_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    child = write(
        tmp_path,
        "child.yaml",
        """
        id: child
        title: Child
        extends: base
        rules:
          - id: max-days
            params: {maxmum: 5}
        """,
    )
    with pytest.raises(PolicyError, match=r"child\.yaml:6: .*unknown parameter 'maxmum'.*did you mean 'maximum'"):
        load_pack(child)
    child.write_text("id: child\ntitle: C\nextends: base\nrules:\n  - id: max-dayz\n    disabled: true\n")
    with pytest.raises(PolicyError, match=r"child\.yaml:6: rule 'max-dayz' is disabled .*did you mean 'max-days'"):
        load_pack(child)
    child.write_text("id: child\ntitle: C\nextends: base\nrules:\n  - id: max-days\n    family: shift_type_count\n")
    with pytest.raises(PolicyError, match=r"child\.yaml:6: .*give the new rule its own id"):
        load_pack(child)


def test_extends_cycles_and_missing_parents_are_errors(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "id: a\ntitle: A\nextends: b\n")
    write(tmp_path, "b.yaml", "id: b\ntitle: B\nextends: c.yaml\n")
    write(tmp_path, "c.yaml", "id: c\ntitle: C\nextends: a\n")
    with pytest.raises(PolicyError, match=r"c\.yaml:3: extends cycle: a\.yaml -> b\.yaml -> c\.yaml -> a\.yaml"):
        load_pack(tmp_path / "a.yaml")
    write(tmp_path, "self.yaml", "id: self\ntitle: S\nextends: self\n")
    with pytest.raises(PolicyError, match="extends cycle"):
        load_pack(tmp_path / "self.yaml")
    write(tmp_path, "orphan.yaml", "id: orphan\ntitle: O\nextends: globl\n")
    with pytest.raises(PolicyError, match=r"orphan\.yaml:3: extends 'globl': .*did you mean 'global'"):
        load_pack(tmp_path / "orphan.yaml")
    write(tmp_path, "lost.yaml", "id: lost\ntitle: L\nextends: parents/none.yaml\n")
    with pytest.raises(PolicyError, match=r"lost\.yaml:3: extends 'parents/none.yaml': no such file"):
        load_pack(tmp_path / "lost.yaml")


def test_a_local_pack_can_extend_a_bundled_pack(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "4w.yaml",
        """
        id: ca-4w
        title: 4 West, California
        extends: us-ca-title22
        rules:
          - id: ca-ratio
            params:
              break_minutes: 45
        """,
    )
    pack = load_pack(path)
    assert pack.lineage == ("global", "us-ca-title22", "ca-4w")
    assert pack.rule("ca-ratio").spec.break_minutes == 45  # type: ignore[attr-defined]
    assert pack.version != load_pack("us-ca-title22").version


def test_effective_dates_select_the_rules_in_effect() -> None:
    pack = load_pack("us-or-hb2697")
    may, june = date(2026, 5, 31), date(2026, 6, 1)
    ids_may = {rule.id for rule in pack.rules_on(may)}
    ids_june = {rule.id for rule in pack.rules_on(june)}
    assert "or-ratio-med-surg" in ids_may and "or-ratio-med-surg-2026" not in ids_may
    assert "or-ratio-med-surg-2026" in ids_june and "or-ratio-med-surg" not in ids_june
    assert {rule.id for rule in pack.rules_on(date(2024, 5, 31))} & {"or-ratio", "or-ratio-med-surg"} == set()
    across = {rule.id for rule in pack.rules_for(Horizon(date(2026, 5, 25), 14))}
    assert {"or-ratio-med-surg", "or-ratio-med-surg-2026"} <= across
    assert dict(pack.rule("or-ratio-med-surg-2026").spec.patients_per_nurse) == {"med_surg": 4}  # type: ignore[attr-defined]


def test_every_bundled_pack_loads_and_is_named_after_its_id() -> None:
    packs = bundled_packs()
    assert set(packs) == {
        "global",
        "us-ca-title22",
        "us-or-hb2697",
        "us-wa-no-mandatory-ot",
        "uk-nice-sg1",
        "eu-wtd",
        "union-sample",
    }
    for pack_id, path in packs.items():
        pack = load_pack(pack_id)
        assert pack.id == pack_id == path.stem
        assert pack.lineage[0] == "global"
        for rule in pack.rules:
            assert rule.citation, f"{pack_id}/{rule.id} has no citation"
            assert rule.reason, f"{pack_id}/{rule.id} has no reason template"


def test_a_key_from_another_vocabulary_gets_the_nearest_param_and_the_list() -> None:
    text = "id: x\ntitle: X\nrules:\n  - id: r\n    family: consecutive_working_days\n    params:\n"
    text += "      max_consecutive: 5\n"
    with pytest.raises(PolicyError) as caught:
        load_text(text, source="v.yaml")
    assert str(caught.value) == (
        "v.yaml:7: rule 'r': unknown parameter 'max_consecutive' for family 'consecutive_working_days'; "
        "nearest valid: 'maximum'; valid: 'maximum', 'minimum'"
    )
