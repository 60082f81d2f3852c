"""The synthetic hospital: deterministic per seed, and rich enough for the demo."""

import random
from datetime import UTC, date, timedelta

import pytest

from careshift.domain.checker import check
from careshift.domain.errors import DomainError
from careshift.domain.workforce import UnitType
from careshift.sim import generate_hospital, naive_roster
from careshift.sim.hospital import us_holidays


@pytest.fixture(scope="module")
def hospital():  # type: ignore[no-untyped-def]
    return generate_hospital(random.Random(7), weeks=2)


def test_same_seed_same_hospital_and_roster_other_seed_differs() -> None:
    first = generate_hospital(random.Random(3), weeks=1)
    again = generate_hospital(random.Random(3), weeks=1)
    other = generate_hospital(random.Random(4), weeks=1)
    assert first == again
    assert first.census != other.census
    assert naive_roster(first, random.Random(3)) == naive_roster(again, random.Random(3))


def test_units_staff_and_contracts_are_what_the_demo_needs(hospital) -> None:  # type: ignore[no-untyped-def]
    assert {unit.unit_type for unit in hospital.units} == {
        UnitType.ICU,
        UnitType.STEP_DOWN,
        UnitType.MED_SURG,
        UnitType.ED,
    }
    assert {unit.timezone for unit in hospital.units} == {"America/Los_Angeles"}
    roles = {role for member in hospital.staff for role in member.roles}
    assert roles == {"RN", "LPN", "CNA", "CHARGE"}
    assert {contract.fte for contract in hospital.contracts} == {1.0, 0.9, 0.6}
    assert all(contract.max_minutes for contract in hospital.contracts)
    assert any(member.float_units for member in hospital.staff)
    assert any("triage" in member.skills for member in hospital.staff)
    horizon = hospital.horizon
    expiring = [c for m in hospital.staff for c in m.credentials if c.expires and c.expires in horizon]
    assert expiring, "some credentials must expire inside the horizon"
    assert hospital.days_off and hospital.requests
    night = hospital.shift_type("N")
    assert night.is_night and night.crosses_midnight
    assert (hospital.shift_type("E").start, hospital.shift_type("L").end) == (
        hospital.shift_type("D").start,
        hospital.shift_type("N").start.replace(hour=23),  # type: ignore[union-attr]
    )


def test_census_every_15_minutes_within_beds_and_interval_cover_from_it(hospital) -> None:  # type: ignore[no-untyped-def]
    beds = {unit.id: unit.beds for unit in hospital.units}
    per_unit = {unit: [c for c in hospital.census if c.unit == unit] for unit in beds}
    for unit, rows in per_unit.items():
        assert len(rows) == 14 * 96 - 4, unit  # 07:00 day one to 07:00 after day 14, less the DST hour
        assert all(0 <= row.patients <= beds[unit] for row in rows)
        steps = {b.start.astimezone(UTC) - a.start.astimezone(UTC) for a, b in zip(rows, rows[1:], strict=False)}
        assert steps == {timedelta(minutes=15)}
    ed = [line for line in hospital.interval_cover if line.unit == "ed" and line.skill == "triage"]
    assert len(ed) == 14 * 96 - 4 and all(line.floor == 1 for line in ed)
    rn_lines = {
        (line.unit, line.start): line for line in hospital.interval_cover if line.role == "RN" and not line.skill
    }
    icu = per_unit["icu"][40]
    assert rn_lines[("icu", icu.start)].target == -(-icu.patients // 2) + icu.acuity_extra_staff + 1


def test_dst_week_has_four_fewer_intervals() -> None:
    spring = generate_hospital(random.Random(1), weeks=1, start=date(2026, 3, 2))
    assert len([c for c in spring.census if c.unit == "icu"]) == 7 * 96 - 4


def test_naive_roster_breaks_rules_but_places_everyone_on_their_unit(hospital) -> None:  # type: ignore[no-untyped-def]
    roster = naive_roster(hospital, random.Random(7))
    assert len(roster) > 0
    homes = {member.id: member.home_unit for member in hospital.staff}
    assert all(a.unit == homes[a.staff] for a in roster)
    per_day = {(a.staff, a.day) for a in roster}
    assert len(per_day) == len(roster)  # never two shifts on one day
    report = check(hospital, roster)
    assert not report.feasible
    # The rules come from the bundled California pack (with the global base) plus house rules.
    assert {"ca-ratio", "approved-leave", "house-cover-target"} <= {v.rule_id for v in report.violations}
    assert hospital.policy_version and len(hospital.policy_version) >= 8


def test_bad_weeks_and_holidays() -> None:
    with pytest.raises(DomainError, match="weeks"):
        generate_hospital(random.Random(1), weeks=0)
    assert us_holidays(date(2026, 11, 1), date(2027, 1, 2)) == {
        date(2026, 11, 26),
        date(2026, 12, 25),
        date(2027, 1, 1),
    }
    assert us_holidays(date(2026, 5, 1), date(2026, 9, 30)) == {date(2026, 5, 25), date(2026, 7, 4), date(2026, 9, 7)}


def test_sim_issues_the_licence_code_the_california_pack_asks_for() -> None:
    from careshift.domain.rules.assignment import CredentialRequired
    from careshift.sim.california import RN_LICENCE, california_pack

    (licence,) = [rule for rule in california_pack()[1] if rule.id == "rn-licence"]
    assert isinstance(licence.spec, CredentialRequired)
    assert licence.spec.credentials == {RN_LICENCE}
