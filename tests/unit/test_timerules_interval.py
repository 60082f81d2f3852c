"""Cover per 15-minute interval (floor and target levels) and nurse-to-patient ratios during breaks."""

import pytest

from careshift.domain.checker import check
from careshift.domain.demand import Census
from careshift.domain.errors import DomainError
from careshift.domain.rules.base import Scope
from careshift.domain.rules.interval import IntervalCoverRule, NurseToPatientRatio
from careshift.domain.schedule import Assignment
from careshift.domain.workforce import Unit, UnitType
from tests.unit.timerules_builders import (
    LA,
    MONDAY,
    WARD,
    amounts,
    at,
    census_every_15,
    cover_every_15,
    nurse,
    problem,
    rule,
    schedule,
)

TITLE22 = {"med_surg": 5, "icu": 2}


def test_interval_floor_counts_whole_intervals_only() -> None:
    floor = rule(IntervalCoverRule(level="floor"), hard=True)
    cover = cover_every_15("4W", at(MONDAY, 6, 30), 4, floor=2, target=2)  # 06:30-07:30
    report = check(problem([nurse("a")], [floor], interval_cover=cover), schedule(("a", MONDAY, "D")))
    # 06:30 and 06:45: nobody (floor 2 short by 2); 07:00 and 07:15: one nurse.
    assert amounts(report) == [2, 2, 1, 1]
    assert report.violations[0].at == at(MONDAY, 6, 30)
    assert "floor 2" in report.violations[0].reason


def test_interval_target_weights_under_and_over_per_line() -> None:
    target = rule(IntervalCoverRule(level="target"), weight=2)
    cover = (
        *cover_every_15("4W", at(MONDAY, 8), 1, floor=0, target=3, cap=3, weight_under=5),
        *cover_every_15("4W", at(MONDAY, 9), 1, floor=0, target=1, cap=1, weight_over=7),
    )
    staff = [nurse("a"), nurse("b")]
    report = check(problem(staff, [target], interval_cover=cover), schedule(("a", MONDAY, "D"), ("b", MONDAY, "D")))
    assert [(v.amount, v.penalty) for v in report.violations] == [(1, 2 * 5), (1, 2 * 7)]


def test_interval_lines_by_role_and_skill() -> None:
    floor = rule(IntervalCoverRule(level="floor"), hard=True)
    cover = (
        *cover_every_15("4W", at(MONDAY, 8), 1, floor=1, target=1, role="CNA"),
        *cover_every_15("4W", at(MONDAY, 8), 1, floor=1, target=1, skill="triage"),
    )
    staff = [nurse("rn", skills=frozenset({"triage"})), nurse("rn2")]
    roster = schedule(("rn", MONDAY, "D"), ("rn2", MONDAY, "D"))
    report = check(problem(staff, [floor], interval_cover=cover), roster)
    assert [v.reason for v in report.violations] == [
        "Cover per 15 minutes: 0 CNA on 4W at 2026-03-02 08:00 PST, floor 1"
    ]


def test_interval_cover_without_break_relief_loses_the_nurse_on_break() -> None:
    floor = rule(IntervalCoverRule(level="floor", break_relief=False), hard=True)
    cover = cover_every_15("4W", at(MONDAY, 10, 45), 4, floor=1, target=1)  # 10:45-11:45
    report = check(problem([nurse("a")], [floor], interval_cover=cover), schedule(("a", MONDAY, "D")))
    # A 07:00-19:00 shift breaks in the 4 h window centred on 13:00; alone, at its start.
    assert [v.at for v in report.violations] == [at(MONDAY, 11), at(MONDAY, 11, 15)]


def test_ratio_breaks_only_while_nurses_are_on_break() -> None:
    ratio = rule(NurseToPatientRatio(patients_per_nurse=TITLE22, roles=frozenset({"RN", "LPN"})), hard=True)
    census = census_every_15("4W", at(MONDAY, 7), at(MONDAY, 18, 45), 10)  # 1:5 needs 2
    staff = [nurse("a"), nurse("b"), nurse("cna", roles=("CNA",)), nurse("charge", roles=("CHARGE",))]
    roster = schedule(*((s.id, MONDAY, "D") for s in staff))
    report = check(problem(staff, [ratio], census=census), roster)
    # Two nurses, two 30-min breaks one after the other from 11:00: short by one for an hour.
    assert [v.at for v in report.violations] == [at(MONDAY, 11, m) for m in (0, 15, 30, 45)]
    assert amounts(report) == [1, 1, 1, 1]
    assert "1 nurse on the floor for 10 patients, 1:5 needs 2" in report.violations[0].reason
    relieved = schedule(*((s.id, MONDAY, "D") for s in staff), ("c", MONDAY, "D"))
    assert check(problem([*staff, nurse("c", roles=("LPN",))], [ratio], census=census), relieved).feasible


def test_ratio_uses_unit_type_acuity_and_uncounted_skills() -> None:
    icu = Unit("ICU", "ICU", UnitType.ICU, LA, 8)
    ped = Unit("PED", "Peds", UnitType.PEDIATRICS, LA, 8)  # type not in the ratio table: unbound
    ratio = rule(NurseToPatientRatio(patients_per_nurse=TITLE22, uncounted_skills=frozenset({"triage"})), hard=True)
    census = (Census("ICU", at(MONDAY, 8), 3, acuity_extra_staff=1), Census("PED", at(MONDAY, 8), 8))
    staff = [nurse(s) for s in "abc"]
    roster = schedule(
        Assignment("a", MONDAY, "D", unit="ICU"),
        Assignment("b", MONDAY, "D", unit="ICU"),
        Assignment("c", MONDAY, "D", unit="ICU", skill="triage"),
    )
    report = check(problem(staff, [ratio], census=census, units=(WARD, icu, ped)), roster)
    assert amounts(report) == [1]  # ceil(3/2) + 1 acuity = 3 needed, the triage nurse does not count


def test_ratio_scope_restricts_units_and_bad_params_are_refused() -> None:
    ratio = rule(NurseToPatientRatio(patients_per_nurse=TITLE22), hard=True, scope=Scope(units=frozenset({"ICU"})))
    census = census_every_15("4W", at(MONDAY, 8), at(MONDAY, 9), 10)
    assert check(problem([nurse("a")], [ratio], census=census), schedule()).violations == ()
    with pytest.raises(DomainError, match="use >= 1"):
        NurseToPatientRatio(patients_per_nurse={"icu": 0})
    with pytest.raises(DomainError, match="level"):
        IntervalCoverRule(level="cap")
