"""A naive roster: fill each unit's shifts round-robin from its own staff.

It sizes each shift from the *mean* census over the shift and the Title 22 ratio, then
takes the next person in the unit's rotation for that shift type (day and night lists
rotate separately) who is not already working that day. It
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
from careshift.sim.california import title22_ratios

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
    for key in sorted(pools):
        rng.shuffle(pools[key])  # a rota in no particular order, as an export would list it
    # Each shift type rotates through the pool on its own, as separate day and night
    # lists on a spreadsheet do: nobody checks the night list against tomorrow's days.
    cursor = {(*key, shift): rng.randrange(len(members)) for key, members in sorted(pools.items()) for shift in "DN"}
    busy: set[tuple[str, date]] = set()
    assignments: list[Assignment] = []

    def take(unit: str, pool: str, day: date, shift: str, skill: str | None = None) -> None:
        members = pools.get((unit, pool), [])
        for _ in range(len(members)):
            member = members[cursor[(unit, pool, shift)] % len(members)]
            cursor[(unit, pool, shift)] += 1
            if (member.id, day) not in busy:
                busy.add((member.id, day))
                assignments.append(Assignment(member.id, day, shift, skill=skill, unit=unit))
                return

    ratios = title22_ratios()
    for day in problem.horizon.days:
        for unit in problem.units:
            ratio = ratios.get(str(unit.unit_type), 4)
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
