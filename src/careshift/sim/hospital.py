"""A seeded synthetic hospital: units, staff, shifts, leave, requests, census and cover.

Everything random comes from the injected ``random.Random``, so one seed gives one
hospital. The numbers are plausible rather than calibrated: ratios from Title 22, FTE
mixes and credential cycles from common practice, census curves with the usual
discharge dip at midday and the ED's afternoon peak.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, time, timedelta

from careshift.domain.demand import Census, IntervalCover, Request
from careshift.domain.errors import DomainError
from careshift.domain.problem import RosterProblem
from careshift.domain.rules.base import Rule
from careshift.domain.time import GRID, Horizon, local_instant, zone
from careshift.domain.workforce import Contract, Credential, ShiftType, Staff, Unit, UnitType
from careshift.policy import policy_version
from careshift.sim.california import (
    CNA_CERTIFICATE,
    LVN_LICENCE,
    RN_LICENCE,
    california_pack,
    house_rules,
    title22_ratios,
)

DEFAULT_TIMEZONE = "America/Los_Angeles"
DEFAULT_START = date(2026, 3, 2)
"""A Monday, so the default four weeks include the spring-forward night (8 March 2026)."""

SHIFT_TYPES = (
    ShiftType("D", 720, time(7), time(19), forbidden_next=frozenset(), break_minutes=30),
    ShiftType("N", 720, time(19), time(7), tags=frozenset({"night"}), break_minutes=30),
    ShiftType("E", 480, time(7), time(15), break_minutes=30),
    ShiftType("L", 480, time(15), time(23), break_minutes=30),
)

CONTRACTS = (
    Contract("FT", fte=1.0),
    Contract("P90", fte=0.9),
    Contract("P60", fte=0.6),
)
"""Full time is 36 h a week (three 12 h shifts); limits are set per horizon below."""

FULL_TIME_WEEK_MINUTES = 36 * 60
CARE_DAY_STARTS = time(7)


@dataclass(frozen=True)
class UnitPlan:
    """How to generate one unit: type, size and its census curve (fraction of beds by hour)."""

    id: str
    name: str
    unit_type: UnitType
    beds: int
    occupancy: tuple[float, ...]
    cna_patients: int | None
    """Patients per CNA for the soft target (None: no CNA on this unit)."""


def _inpatient(level: float) -> tuple[float, ...]:
    # Discharges empty beds late morning, admissions refill them from mid-afternoon.
    shape = [0, 0, 0, 0, 0, 0, 0, 0, 0, -0.02, -0.05, -0.08, -0.1, -0.08, -0.05, -0.02, 0, 0.02, 0.03, 0.03, 0.02]
    shape += [0.01, 0, 0]
    return tuple(max(0.0, level + delta) for delta in shape)


_ED: tuple[float, ...] = (
    *(0.45, 0.4, 0.35, 0.3, 0.3, 0.3, 0.35, 0.45, 0.6, 0.7, 0.8, 0.85),
    *(0.9, 0.95, 0.95, 1.0, 1.0, 1.0, 0.95, 0.9, 0.85, 0.75, 0.65, 0.55),
)

UNITS = (
    UnitPlan("icu", "ICU", UnitType.ICU, 10, _inpatient(0.8), None),
    UnitPlan("sdu", "Step-down 3 North", UnitType.STEP_DOWN, 15, _inpatient(0.8), 8),
    UnitPlan("msu", "Med-surg 4 West", UnitType.MED_SURG, 25, _inpatient(0.85), 7),
    UnitPlan("ed", "Emergency", UnitType.ED, 16, _ED, 8),
)


def us_holidays(start: date, end: date) -> frozenset[date]:
    """US federal holidays hospitals usually rotate (fixed and Monday/Thursday ones) in
    ``[start, end)``; no observed-day shifting."""
    found: set[date] = set()
    for year in range(start.year, end.year + 1):
        candidates = [date(year, 1, 1), date(year, 7, 4), date(year, 12, 25)]
        candidates.append(_nth_weekday(year, 5, 0, -1))  # Memorial Day: last Monday of May
        candidates.append(_nth_weekday(year, 9, 0, 1))  # Labor Day
        candidates.append(_nth_weekday(year, 11, 3, 4))  # Thanksgiving
        found.update(day for day in candidates if start <= day < end)
    return frozenset(found)


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    if nth > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
    last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def generate_hospital(
    rng: random.Random,
    *,
    weeks: int = 4,
    start: date = DEFAULT_START,
    timezone: str = DEFAULT_TIMEZONE,
    units: tuple[UnitPlan, ...] = UNITS,
    rules: tuple[Rule, ...] | None = None,
) -> RosterProblem:
    """A synthetic hospital as a ``RosterProblem`` over ``weeks`` weeks from ``start``.

    Units (ICU, step-down, med-surg, ED by default) on ``timezone``; staff (RN, LPN, CNA,
    charge) sized to the census and Title 22 ratios with FT/0.9/0.6 contracts, skills,
    credentials (some expiring inside the horizon), float eligibility; leave blocks and
    requests; census per unit and 15-minute interval; interval cover lines derived from
    census and ratios (census runs from 07:00 on the first day to 07:00 after the last,
    the span the horizon's D and N shifts can cover). ``rules`` default to the bundled
    ``us-ca-title22`` pack plus the sample house rules (``careshift.sim.california``);
    ``policy_version`` is the content hash of the rules used.
    """
    if weeks <= 0:
        raise DomainError(f"weeks must be positive, got {weeks}; try --weeks 4")
    horizon = Horizon(start, 7 * weeks, timezone)
    if rules is None:
        rules = california_pack()[1] + house_rules(tuple(plan.id for plan in units))
    domain_units = tuple(Unit(plan.id, plan.name, plan.unit_type, timezone, plan.beds) for plan in units)
    census = _census(rng, horizon, units, timezone)
    staff = _staff(rng, horizon, units)
    days_off, requests = _leave_and_requests(rng, horizon, staff)
    contracts = tuple(_with_limits(contract, weeks) for contract in CONTRACTS)
    return RosterProblem(
        name=f"synthetic-hospital-{weeks}w",
        horizon=horizon,
        shift_types=SHIFT_TYPES,
        staff=staff,
        rules=rules,
        contracts=contracts,
        units=domain_units,
        interval_cover=_interval_cover(census, units),
        census=census,
        requests=requests,
        days_off=days_off,
        holidays=us_holidays(horizon.start, horizon.end),
        skills=tuple(sorted({skill for member in staff for skill in member.skills})),
        policy_version=policy_version(rules),
    )


def _with_limits(contract: Contract, weeks: int) -> Contract:
    weekly = round(FULL_TIME_WEEK_MINUTES * contract.fte)
    return Contract(
        contract.id,
        fte=contract.fte,
        weekly_minutes=weekly,
        min_minutes=max(0, weekly * weeks - 720),
        max_minutes=weekly * weeks + 720,
    )


def _census(rng: random.Random, horizon: Horizon, units: tuple[UnitPlan, ...], timezone: str) -> tuple[Census, ...]:
    tz = zone(timezone)
    rows: list[Census] = []
    # Care is rostered from the first day shift to the end of the last night; census
    # outside that span could not be covered by any roster of this horizon.
    first = local_instant(horizon.start, CARE_DAY_STARTS, tz).astimezone(UTC)
    last = local_instant(horizon.end, CARE_DAY_STARTS, tz).astimezone(UTC)
    for plan in units:
        drift = 0.0
        cursor = first
        hour_noise = 0.0
        while cursor < last:
            local = cursor.astimezone(tz)
            if local.minute == 0:
                # A slow random walk for the day-to-day level, fresh noise each hour.
                drift = max(-0.15, min(0.15, drift + rng.gauss(0, 0.01)))
                hour_noise = rng.gauss(0, 0.04)
            level = plan.occupancy[local.hour] + drift + hour_noise
            patients = max(0, min(plan.beds, round(plan.beds * level)))
            acuity = 1 if plan.unit_type is UnitType.ICU and rng.random() < 0.002 else 0
            rows.append(Census(plan.id, local, patients, acuity_extra_staff=acuity))
            cursor += GRID
    return tuple(rows)


def _interval_cover(census: tuple[Census, ...], units: tuple[UnitPlan, ...]) -> tuple[IntervalCover, ...]:
    plans = {plan.id: plan for plan in units}
    ratios = title22_ratios()
    lines: list[IntervalCover] = []
    for row in census:
        plan = plans[row.unit]
        ratio = ratios.get(str(plan.unit_type))
        if ratio is not None:
            # Soft target: the ratio plus one nurse for break relief and admissions.
            need = math.ceil(row.patients / ratio) + row.acuity_extra_staff
            lines.append(IntervalCover(row.unit, row.start, floor=0, target=need + 1, cap=need + 3, role="RN"))
        if plan.cna_patients is not None:
            night = row.start.hour >= 19 or row.start.hour < 7
            per_cna = plan.cna_patients + (4 if night else 0)  # Oregon: CNA 1:7 days, 1:11 nights
            target = math.ceil(row.patients / per_cna)
            lines.append(IntervalCover(row.unit, row.start, floor=0, target=target, cap=target + 2, role="CNA"))
        lines.append(IntervalCover(row.unit, row.start, floor=0, target=1, cap=1, role="CHARGE"))
        if plan.unit_type is UnitType.ED:
            lines.append(IntervalCover(row.unit, row.start, floor=1, target=1, skill="triage", role="RN"))
    return tuple(lines)


def _staff(rng: random.Random, horizon: Horizon, units: tuple[UnitPlan, ...]) -> tuple[Staff, ...]:
    people: list[Staff] = []
    ratios = title22_ratios()
    unit_ids = [plan.id for plan in units]
    for plan in units:
        mean = sum(plan.occupancy) / len(plan.occupancy) * plan.beds
        ratio = ratios.get(str(plan.unit_type), 4)
        nurses_per_shift = math.ceil(mean / ratio) + (1 if plan.unit_type is UnitType.ED else 0)
        licensed = _pool_size(nurses_per_shift)
        lpns = licensed // 6 if plan.unit_type is UnitType.MED_SURG else 0
        cnas = _pool_size(math.ceil(mean / plan.cna_patients)) if plan.cna_patients else 0
        roles = [("RN", licensed - lpns), ("LPN", lpns), ("CNA", cnas), ("CHARGE", _pool_size(1))]
        for role, count in roles:
            for _ in range(count):
                people.append(_person(rng, horizon, plan, role, len(people) + 1, unit_ids))
    return tuple(people)


def _pool_size(per_shift: int) -> int:
    """People to staff ``per_shift`` on two 12 h shifts a day: 14 shifts a week per post
    at about 3 shifts per person (average FTE ~0.9), plus one."""
    return math.ceil(per_shift * 14 / 2.7) + 1


def _person(rng: random.Random, horizon: Horizon, plan: UnitPlan, role: str, number: int, unit_ids: list[str]) -> Staff:
    contract = rng.choices(["FT", "P90", "P60"], weights=[6, 2, 2])[0]
    skills = {str(plan.unit_type)}
    credentials = [_credential(rng, horizon, "BLS", 730, 0.04)]
    if role in {"RN", "CHARGE"}:
        credentials.append(_credential(rng, horizon, RN_LICENCE, 730, 0.03))
        if plan.id in {"icu", "sdu", "ed"} and rng.random() > 0.05:
            credentials.append(_credential(rng, horizon, "ACLS", 730, 0.06))
        if plan.unit_type is UnitType.ED and rng.random() < 0.5:
            skills.add("triage")
    elif role == "LPN":
        credentials.append(_credential(rng, horizon, LVN_LICENCE, 730, 0.03))
    elif role == "CNA":
        credentials.append(_credential(rng, horizon, CNA_CERTIFICATE, 730, 0.03))
    if role == "CHARGE":
        skills.add("charge")
    floats: frozenset[str] = frozenset()
    if role == "RN" and rng.random() < 0.25:
        floats = frozenset(rng.sample([unit for unit in unit_ids if unit != plan.id], k=rng.randint(1, 2)))
    return Staff(
        id=f"{plan.id}-{role.lower()}-{number:03d}",
        name=f"{role} {number:03d}",
        roles=frozenset({role}),
        skills=frozenset(skills),
        credentials=tuple(credentials),
        contract_id=contract,
        home_unit=plan.id,
        float_units=floats,
        seniority=rng.randint(0, 30),
    )


def _credential(rng: random.Random, horizon: Horizon, code: str, cycle_days: int, lapse: float) -> Credential:
    """A credential renewed every ``cycle_days``; with probability ``lapse`` it expires
    inside the horizon (the last valid day falls on one of its days)."""
    if rng.random() < lapse:
        return Credential(code, horizon.start + timedelta(days=rng.randrange(horizon.length)))
    return Credential(code, horizon.end + timedelta(days=rng.randrange(1, cycle_days)))


def _leave_and_requests(
    rng: random.Random, horizon: Horizon, staff: tuple[Staff, ...]
) -> tuple[Mapping[str, frozenset[date]], tuple[Request, ...]]:
    days_off: dict[str, frozenset[date]] = {}
    requests: list[Request] = []
    for member in staff:
        if rng.random() < 0.15:
            length = rng.randint(3, 7)
            first = rng.randrange(max(1, horizon.length - length))
            days_off[member.id] = frozenset(horizon.start + timedelta(days=first + k) for k in range(length))
        for _ in range(rng.randint(0, 3)):
            day = horizon.start + timedelta(days=rng.randrange(horizon.length))
            if day in days_off.get(member.id, frozenset()):
                continue
            if rng.random() < 0.7:
                requests.append(Request(member.id, day, None, on=False, weight=rng.choice([1, 2, 3])))
            else:
                requests.append(Request(member.id, day, rng.choice(["D", "N"]), on=True, weight=1))
    return days_off, tuple(requests)
