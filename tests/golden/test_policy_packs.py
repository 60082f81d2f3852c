"""Golden tests for the bundled policy packs.

Per pack: a tiny ward roster that passes every rule of the resolved pack, and per rule
the pack itself defines, a roster that breaks it, with the expected rule id, amounts
and reason text. Rules a pack inherits from ``global`` are tested under ``global``.

The ward: one unit ``4W`` with a census of patients during Monday's day shift, shift
types D 07–19, N 19–07 (night), E 05–13, V 15–23 and H 08–12, five RNs (a–e), two LPNs
(f, g) and an RN whose licence has expired (h). The passing roster puts a, b, c, d on
D on Monday and a, b, c on D on Tuesday and Wednesday, with cover lines for those days
(floor 2, target 3). Each failing case adds or drops assignments; ``also`` names the
other rules of the pack the same roster breaks, so the test also shows that nothing
else fires.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pytest

from careshift.domain.checker import check
from careshift.domain.demand import Census, IntervalCover, ShiftCover
from careshift.domain.problem import RosterProblem
from careshift.domain.rules import Rule
from careshift.domain.schedule import Assignment, Schedule
from careshift.domain.time import GRID, Horizon, local_instant, zone
from careshift.domain.workforce import Credential, ShiftType, Staff, Unit, UnitType
from careshift.policy import bundled_packs, load_pack

MONDAY = date(2026, 6, 1)
UNIT = "4W"
SHIFTS = (
    ShiftType("D", 720, time(7), time(19)),
    ShiftType("N", 720, time(19), time(7), tags=frozenset({"night"})),
    ShiftType("E", 480, time(5), time(13)),
    ShiftType("V", 480, time(15), time(23)),
    ShiftType("H", 240, time(8), time(12)),
)
LICENCES = (Credential("RN-LICENSE"), Credential("RN-CA"))
STAFF = (
    *(
        Staff(name, roles=frozenset({"RN"}), skills=frozenset({"med_surg"}), credentials=LICENCES, home_unit=UNIT)
        for name in "abcde"
    ),
    *(Staff(name, roles=frozenset({"LPN"}), skills=frozenset({"med_surg"}), home_unit=UNIT) for name in "fg"),
    Staff(
        "h",
        roles=frozenset({"RN"}),
        skills=frozenset({"med_surg"}),
        credentials=(Credential("RN-LICENSE", expires=MONDAY - timedelta(days=1)),),
        home_unit=UNIT,
    ),
)

Item = tuple[str, int, str] | tuple[str, int, str, str]
"""(staff, day offset from the horizon's start, shift[, skill])."""

BASE_ROSTER: tuple[Item, ...] = (
    *((name, 0, "D") for name in "abcd"),
    *((name, day, "D") for day in (1, 2) for name in "abc"),
)


@dataclass(frozen=True)
class Ward:
    """The knobs a case turns: when, where, which unit type, how many patients."""

    start: date = MONDAY
    days: int = 21
    timezone: str = "America/Los_Angeles"
    unit_type: UnitType = UnitType.MED_SURG
    patients: int = 10
    rn_floor: bool = False
    days_off: Mapping[str, frozenset[date]] = field(default_factory=dict)
    holidays: tuple[int, ...] = ()


WARDS = {
    "uk-nice-sg1": Ward(timezone="Europe/London", rn_floor=True),
    "eu-wtd": Ward(timezone="Europe/Berlin"),
    "union-sample": Ward(holidays=(9,)),
}


def day_shift_slots(ward: Ward) -> list[datetime]:
    """The 48 quarter-hours of Monday's day shift on the ward's clock."""
    first = local_instant(ward.start, time(7), zone(ward.timezone))
    return [first + GRID * index for index in range(48)]


def problem_for(pack_id: str, ward: Ward) -> tuple[RosterProblem, tuple[Rule, ...]]:
    horizon = Horizon(ward.start, ward.days, ward.timezone)
    rules = load_pack(pack_id).rules_for(horizon)
    slots = day_shift_slots(ward)
    problem = RosterProblem(
        name=f"{pack_id} golden ward",
        horizon=horizon,
        shift_types=SHIFTS,
        staff=STAFF,
        rules=rules,
        units=(Unit(UNIT, "4 West", ward.unit_type, ward.timezone, beds=24),),
        cover=tuple(
            ShiftCover(ward.start + timedelta(days=offset), "D", floor=2, target=3, unit=UNIT) for offset in range(3)
        ),
        census=tuple(Census(UNIT, slot, ward.patients) for slot in slots) if ward.patients else (),
        interval_cover=(
            tuple(IntervalCover(UNIT, slot, floor=2, target=2, role="RN") for slot in slots) if ward.rn_floor else ()
        ),
        days_off=dict(ward.days_off),
        holidays=frozenset(ward.start + timedelta(days=offset) for offset in ward.holidays),
    )
    return problem, rules


def roster(ward: Ward, items: tuple[Item, ...]) -> Schedule:
    return Schedule.of(
        Assignment(
            item[0],
            ward.start + timedelta(days=item[1]),
            item[2],
            skill=item[3] if len(item) == 4 else None,  # type: ignore[misc]
            unit=UNIT,
        )
        for item in items
    )


@dataclass(frozen=True)
class Case:
    pack: str
    rule: str
    amounts: tuple[int, ...]
    reason: str
    add: tuple[Item, ...] = ()
    drop: tuple[Item, ...] = ()
    ward: Ward | None = None
    also: frozenset[str] = frozenset()

    @property
    def id(self) -> str:
        return f"{self.pack}/{self.rule}"


def days_of(name: str, shift: str, offsets: range | tuple[int, ...]) -> tuple[Item, ...]:
    return tuple((name, offset, shift) for offset in offsets)


RATIO_SIX = (1,) * 6  # three nurses' staggered breaks leave the unit one short for 6 × 15 min
LA = Ward()

CASES = (
    # global: the base every pack extends
    Case(
        "global",
        "one-shift-per-day",
        (1,),
        "e has 1 shift(s) too many on 2026-06-01: one shift per day",
        add=(("e", 0, "D"), ("e", 0, "N")),
    ),
    Case(
        "global",
        "skill-required",
        (1,),
        "e is assigned on 2026-06-01 to cover a skill they do not have",
        add=(("e", 0, "D", "icu"),),
    ),
    Case("global", "rn-licence", (1,), "h works on 2026-06-01 without an unexpired RN licence", add=(("h", 0, "D"),)),
    Case(
        "global",
        "approved-leave",
        (1,),
        "a is rostered on 2026-06-01, a fixed day off or approved leave",
        ward=Ward(days_off={"a": frozenset({MONDAY})}),
    ),
    Case(
        "global",
        "cover-floor",
        (1,),
        "1 staff short of the minimum cover on 2026-06-01",
        drop=days_of("b", "D", (0,)) + days_of("c", "D", (0,)) + days_of("d", "D", (0,)),
        also=frozenset({"cover-target"}),
    ),
    Case(
        "global",
        "cover-target",
        (1,),
        "1 staff away from the target cover on 2026-06-01",
        drop=days_of("c", "D", (0,)) + days_of("d", "D", (0,)),
    ),
    # California Title 22: 11 patients at 1:5 need 3 nurses, also while one is on break
    Case(
        "us-ca-title22",
        "ca-ratio",
        RATIO_SIX,
        "1 licensed nurse(s) short of the Title 22 ratio in a 15-minute interval on 2026-06-01; "
        "the ratio holds at all times, including breaks",
        drop=days_of("d", "D", (0,)),
        ward=Ward(patients=11),
    ),
    Case(
        "us-ca-title22",
        "rn-licence",
        (1,),
        "h works on 2026-06-01 without an unexpired California RN licence (RN-CA)",
        add=(("h", 0, "D"),),
    ),
    # Oregon HB 2697 and ORS 441.770
    Case(
        "us-or-hb2697",
        "or-ratio",
        RATIO_SIX,
        "1 RN(s) short of the Oregon HB 2697 ratio in a 15-minute interval on 2026-06-01; "
        "the ratio holds during breaks (no buddy breaks)",
        drop=days_of("d", "D", (0,)),
        ward=Ward(unit_type=UnitType.ICU, patients=6),
    ),
    Case(
        "us-or-hb2697",
        "or-ratio-med-surg",
        RATIO_SIX,
        "1 RN(s) short of Oregon's med-surg ratio of 1:5 in a 15-minute interval on 2026-05-18",
        drop=days_of("d", "D", (0,)),
        ward=Ward(start=date(2026, 5, 18), patients=11),
    ),
    Case(
        "us-or-hb2697",
        "or-ratio-med-surg-2026",
        RATIO_SIX,
        "1 RN(s) short of Oregon's med-surg ratio of 1:4 (from June 2026) in a 15-minute interval on 2026-06-01",
        drop=days_of("d", "D", (0,)),
    ),
    Case(
        "us-or-hb2697",
        "or-max-48h-week",
        (720,),
        "e works 720 min beyond 48 h in 7 days from 2026-06-01 (ORS 441.770)",
        add=days_of("e", "D", range(5)),
    ),
    Case(
        "us-or-hb2697",
        "or-max-12h-in-24h",
        (120,),
        "e works 120 min beyond 12 h in 24 h from 2026-06-01 (ORS 441.770)",
        add=(("e", 0, "D"), ("e", 1, "E")),  # exactly 10 h rest: only the 24 h cap is broken
    ),
    Case(
        "us-or-hb2697",
        "or-rest-after-12th-hour",
        (240,),
        "e has 240 min less than 10 h rest before the shift on 2026-06-02 (ORS 441.770)",
        add=(("e", 0, "V"), ("e", 1, "E")),
        also=frozenset({"or-max-12h-in-24h"}),
    ),
    # Washington: rostered overtime is mandatory overtime
    Case(
        "us-wa-no-mandatory-ot",
        "wa-max-12h-in-24h",
        (120,),
        "e is rostered 120 min beyond 12 h in 24 h from 2026-06-01: that is overtime, "
        "and mandatory overtime is banned (RCW 49.28.140)",
        add=(("e", 0, "D"), ("e", 1, "E")),
    ),
    Case(
        "us-wa-no-mandatory-ot",
        "wa-max-80h-in-14d",
        (240,),
        "e is rostered 240 min beyond 80 h in 14 days from 2026-06-01: that is overtime, "
        "and mandatory overtime is banned (RCW 49.28.140)",
        add=days_of("e", "D", range(7)),
    ),
    # NICE SG1 red flags (soft)
    Case(
        "uk-nice-sg1",
        "nice-red-flag-8-patients-per-rn",
        RATIO_SIX,
        "Red flag: more than 8 patients per RN (1 RN(s) short in a 15-minute interval on 2026-06-01); escalate",
        drop=days_of("d", "D", (0,)),
        ward=Ward(timezone="Europe/London", rn_floor=True, patients=17),
    ),
    Case(
        "uk-nice-sg1",
        "nice-red-flag-two-rns",
        (1,) * 48,
        "Red flag: 1 RN(s) below the ward floor of 2 RNs in a 15-minute interval on 2026-06-01; escalate",
        drop=days_of("b", "D", (0,)) + days_of("c", "D", (0,)) + days_of("d", "D", (0,)),
        add=(("f", 0, "D"), ("g", 0, "D")),  # three on the floor, but only one RN
        ward=Ward(timezone="Europe/London", rn_floor=True, patients=0),
    ),
    # EU Working Time Directive
    Case(
        "eu-wtd",
        "eu-daily-rest-11h",
        (60,),
        "e has 60 min less than 11 h rest before the shift on 2026-06-02 (WTD Art. 3)",
        add=(("e", 0, "D"), ("e", 1, "E")),
    ),
    Case(
        "eu-wtd",
        "eu-weekly-rest",
        (1,),
        "e works 1 day(s) beyond 6 in a row by 2026-06-07, leaving no weekly rest (WTD Art. 5)",
        add=days_of("e", "H", range(7)),
    ),
    Case(
        "eu-wtd",
        "eu-48h-week",
        (720,),
        "e works 720 min beyond 48 h in 7 days from 2026-06-01 (WTD Art. 6)",
        add=days_of("e", "D", range(5)),
    ),
    # Sample union contract
    Case(
        "union-sample",
        "union-rest-10h",
        (240,),
        "e has 240 min less than the contract's 10 h rest before the shift on 2026-06-02",
        add=(("e", 0, "V"), ("e", 1, "E")),
    ),
    Case(
        "union-sample",
        "union-max-3-day-12h",
        (1,),
        "e works 1 12 h day shift(s) beyond 3 in a row by 2026-06-04 without written consent",
        add=days_of("e", "D", range(4)),
    ),
    Case(
        "union-sample",
        "union-max-3-night-12h",
        (1,),
        "e works 1 12 h night shift(s) beyond 3 in a row by 2026-06-04 without written consent",
        add=days_of("e", "N", range(4)),
        also=frozenset({"union-fair-nights"}),
    ),
    Case(
        "union-sample",
        "union-max-6-days",
        (1,),
        "e works 1 day(s) beyond 6 in a row by 2026-06-07",
        add=days_of("e", "H", range(7)),
        also=frozenset({"union-fair-weekends"}),
    ),
    Case(
        "union-sample",
        "union-48h-after-nights",
        (1440,),
        "e has 1440 min less than 48 h off after a run of nights before 2026-06-04",
        add=(("e", 0, "N"), ("e", 1, "N"), ("e", 3, "D")),
        also=frozenset({"union-fair-nights"}),
    ),
    Case(
        "union-sample",
        "union-max-2-weekends",
        (1,),
        "e works 1 weekend(s) more than 2 in the roster period",
        add=days_of("e", "D", (5, 6, 12, 13, 19, 20)),
        also=frozenset({"union-fair-weekends"}),
    ),
    Case(
        "union-sample",
        "union-complete-weekends",
        (1,),
        "e works only one day of the weekend of 2026-06-06",
        add=(("e", 5, "H"),),
        also=frozenset({"union-fair-weekends"}),
    ),
    Case(
        "union-sample",
        "union-fair-nights",
        (1,),
        "Nights are shared unevenly: 1 more for the most loaded person than the least",
        add=(("e", 0, "N"),),
    ),
    Case(
        "union-sample",
        "union-fair-weekends",
        (1,),
        "Weekends are shared unevenly: 1 more for the most loaded person than the least",
        add=(("e", 5, "D"), ("e", 6, "D")),
    ),
    Case(
        "union-sample",
        "union-fair-holidays",
        (1,),
        "Holidays are shared unevenly: 1 more for the most loaded person than the least",
        add=(("e", 9, "D"),),
    ),
)


def ward_of(case: Case) -> Ward:
    return case.ward or WARDS.get(case.pack, LA)


@pytest.mark.parametrize("pack_id", sorted(bundled_packs()))
def test_the_base_roster_passes_every_rule_of_the_pack(pack_id: str) -> None:
    ward = WARDS.get(pack_id, LA)
    problem, rules = problem_for(pack_id, ward)
    report = check(problem, roster(ward, BASE_ROSTER), rules)
    assert report.violations == ()
    assert report.feasible and report.cost == 0


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_a_roster_breaking_the_rule_gets_its_violation_and_reason(case: Case) -> None:
    ward = ward_of(case)
    problem, rules = problem_for(case.pack, ward)
    assert case.rule in {rule.id for rule in rules}, f"{case.rule} is not in effect for this ward"
    items = tuple(item for item in BASE_ROSTER if item not in case.drop) + case.add
    report = check(problem, roster(ward, items), rules)
    mine = [violation for violation in report.violations if violation.rule_id == case.rule]
    assert tuple(violation.amount for violation in mine) == case.amounts
    assert mine[0].reason == case.reason
    rule = next(rule for rule in rules if rule.id == case.rule)
    expected_penalty = 0 if rule.hard else rule.weight * sum(case.amounts)
    assert sum(violation.penalty for violation in mine) == expected_penalty
    others = {violation.rule_id for violation in report.violations} - {case.rule}
    assert others == case.also


def test_every_rule_a_pack_defines_has_a_failing_case() -> None:
    covered = {(case.pack, case.rule) for case in CASES}
    for pack_id in bundled_packs():
        pack = load_pack(pack_id)
        own = {rule_id for rule_id, origins in pack.origins.items() if origins[-1] == pack_id}
        assert own == {rule for pack_name, rule in covered if pack_name == pack_id}, pack_id


def test_oregon_med_surg_tightens_in_june_2026_for_the_same_roster() -> None:
    """Three RNs for ten med-surg patients: enough at 1:5 (May 2026), not at 1:4 (June)."""
    items = tuple(item for item in BASE_ROSTER if item != ("d", 0, "D"))
    may = Ward(start=date(2026, 5, 18))
    problem, rules = problem_for("us-or-hb2697", may)
    assert check(problem, roster(may, items), rules).violations == ()
    problem, rules = problem_for("us-or-hb2697", LA)
    report = check(problem, roster(LA, items), rules)
    assert {violation.rule_id for violation in report.violations} == {"or-ratio-med-surg-2026"}
