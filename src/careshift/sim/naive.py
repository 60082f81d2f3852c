"""A naive roster: fill each unit's shifts round-robin from its own staff.

It sizes each shift from the *mean* census over the shift and the Title 22 ratio, then
takes the next person in the unit's rotation who is not already working that day. It
ignores breaks, census peaks, leave, rest, credentials and fairness — which is the point:
the demo shows what the checker finds in a roster made the way spreadsheets make them.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import UTC, date, datetime

from careshift.domain.problem import RosterProblem
from careshift.domain.schedule import Assignment, Schedule
from careshift.domain.timeline import full_grid
from careshift.domain.workforce import Staff, UnitType
from careshift.sim.california import TITLE22_PATIENTS_PER_NURSE

CNA_PATIENTS = 8
ROLE_POOLS = {"licensed": frozenset({"RN", "LPN"}), "CNA": frozenset({"CNA"}), "CHARGE": frozenset({"CHARGE"})}


def naive_roster(problem: RosterProblem, rng: random.Random) -> Schedule:
    """Round-robin roster for ``problem``: D and N shifts on every unit each day, sized
    from mean census and ratios, plus one ED triage nurse per shift. Breaks rules."""
    census: dict[str, dict[datetime, int]] = defaultdict(dict)
    for row in problem.census:
        census[row.unit][row.start.astimezone(UTC)] = row.patients
    pools: dict[tuple[str, str], list[Staff]] = {}
    for member in problem.staff:
        for pool, roles in ROLE_POOLS.items():
            if member.home_unit is not None and member.roles & roles:
                pools.setdefault((member.home_unit, pool), []).append(member)
    cursor = {key: rng.randrange(len(members)) for key, members in sorted(pools.items())}
    busy: set[tuple[str, date]] = set()
    assignments: list[Assignment] = []

    def take(unit: str, pool: str, day: date, shift: str, skill: str | None = None) -> None:
        members = pools.get((unit, pool), [])
        for _ in range(len(members)):
            member = members[cursor[(unit, pool)] % len(members)]
            cursor[(unit, pool)] += 1
            if (member.id, day) not in busy:
                busy.add((member.id, day))
                assignments.append(Assignment(member.id, day, shift, skill=skill, unit=unit))
                return

    for day in problem.horizon.days:
        for unit in problem.units:
            ratio = TITLE22_PATIENTS_PER_NURSE.get(str(unit.unit_type), 4)
            for shift_id in ("D", "N"):
                span = problem.shift_type(shift_id).interval_on(day, unit.timezone)
                values = [census[unit.id][slot] for slot in full_grid(span) if slot in census[unit.id]]
                mean = sum(values) / len(values) if values else 0.0
                if unit.unit_type is UnitType.ED:
                    take(unit.id, "licensed", day, shift_id, skill="triage")
                for _ in range(math.ceil(mean / ratio)):
                    take(unit.id, "licensed", day, shift_id)
                if unit.unit_type is not UnitType.ICU:
                    for _ in range(math.ceil(mean / CNA_PATIENTS)):
                        take(unit.id, "CNA", day, shift_id)
                take(unit.id, "CHARGE", day, shift_id)
    return Schedule.of(assignments, source="naive")
