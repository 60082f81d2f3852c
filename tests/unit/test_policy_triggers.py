"""The policy pack's ``triggers:`` section: thresholds per unit, inheritance, and clear errors."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from textwrap import dedent

import pytest

from careshift.domain.errors import PolicyError
from careshift.domain.triggers import UnitTriggers
from careshift.policy import load_pack, load_text

BASE = """\
id: base
title: Base
rules: []
triggers:
  defaults:
    census_rise_patients: 5
    census_window_minutes: 60
  units:
    ED:
      ed_arrivals_per_hour: 15
      census_rise_patients: null
"""


def test_a_pack_without_the_section_has_the_built_in_defaults() -> None:
    policy = load_text("id: plain\ntitle: Plain\nrules: []\n").triggers
    assert policy.for_unit("4W") == UnitTriggers() and not policy.units


def test_units_override_the_defaults_key_by_key_and_null_switches_a_test_off() -> None:
    policy = load_text(BASE).triggers
    assert policy.for_unit("4W") == UnitTriggers(census_rise_patients=5, census_window=timedelta(hours=1))
    ed = policy.for_unit("ED")
    assert ed.ed_arrivals_per_hour == 15 and ed.census_rise_patients is None
    assert ed.census_window == timedelta(hours=1)  # from the pack's defaults


def test_a_child_pack_changes_only_the_keys_it_gives(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(BASE)
    child = tmp_path / "child.yaml"
    child.write_text(
        dedent(
            """\
            id: child
            title: Child
            extends: base
            triggers:
              defaults: {repair_days: 3}
              units:
                ED: {ed_arrivals_per_hour: 20}
                4W: {census_rise_percent: 10.5}
            """
        )
    )
    policy = load_pack(child).triggers
    assert policy.defaults.repair_days == 3 and policy.defaults.census_rise_patients == 5
    assert policy.for_unit("ED").ed_arrivals_per_hour == 20 and policy.for_unit("ED").census_rise_patients is None
    assert policy.for_unit("4W").census_rise_percent == 10.5 and policy.for_unit("4W").repair_days == 3


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            "  defaults: {census_rise_patient: 5}",
            r"<string>:5: unknown key 'census_rise_patient' in triggers\.defaults; did you mean 'census_rise_patients'",
        ),
        ("  unit: {}", r"<string>:5: unknown key 'unit' in triggers; did you mean 'units'\?"),
        (
            "  units:\n    4W: {repair_day: 2}",
            r"<string>:6: unknown key 'repair_day' in triggers\.units\.4W; did you mean 'repair_days'\?",
        ),
        ("  defaults: {repair_days: 0}", r"triggers\.defaults\.repair_days must be a whole number from 1 to 28"),
        ("  defaults: {repair_days: null}", r"repair_days must be a whole number from 1 to 28$"),
        (
            "  defaults: {census_rise_patients: 2.5}",
            r"must be a whole number from 1 to 1000 \(or null to switch it off\)",
        ),
        ("  defaults: {census_rise_percent: yes}", r"census_rise_percent must be a number from 1 to 1000"),
        ("  defaults: [1, 2]", r"'triggers\.defaults' must be a mapping of thresholds"),
    ],
)
def test_mistakes_name_the_line_and_the_key(section: str, message: str) -> None:
    text = "id: t\ntitle: T\nrules: []\ntriggers:\n" + section + "\n"
    with pytest.raises(PolicyError, match=message):
        load_text(text)
