"""Minutes worked over the horizon."""

from __future__ import annotations

from careshift.domain.rules.base import Rule
from careshift.domain.rules.workload import WorkedMinutes
from careshift.domain.workforce import worked_minutes
from careshift.engine.model import EngineModel


def worked_minutes_within_limits(m: EngineModel, rule: Rule) -> None:
    """Minutes on the clock over the horizon between ``minimum`` and ``maximum`` (Curtois 4;
    DST-aware for shifts with clock times). Hard: linear bounds. Soft: minutes outside the
    range × ``rule.weight``."""
    spec = rule.spec
    assert isinstance(spec, WorkedMinutes)
    zones = {unit.id: unit.timezone for unit in m.problem.units}
    shifts = {shift.id: shift for shift in m.problem.shift_types}
    for member in m.staff_in_scope(rule):
        # the checker measures a shift on the clock of the unit it is worked on
        timezone = zones.get(member.home_unit or "", m.problem.horizon.timezone)
        terms = []
        upper = 0
        for d, day in enumerate(m.days):
            for slot in m.slots[member.id]:
                minutes = worked_minutes(shifts[slot.shift], day, timezone)
                terms.append(minutes * m.work[member.id, d, slot])
            upper += max((worked_minutes(s, day, timezone) for s in shifts.values()), default=0)
        m.bound(rule, sum(terms), spec.minimum, spec.maximum, upper, member.id, None, f"minutes[nurse={member.id}]")
