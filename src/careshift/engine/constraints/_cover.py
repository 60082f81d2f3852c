"""Counting who covers a cover line, shared by the floor and target families."""

from __future__ import annotations

from ortools.sat.python import cp_model

from careshift.domain.demand import ShiftCover
from careshift.engine.model import EngineModel


def covering(m: EngineModel, line: ShiftCover) -> list[cp_model.IntVar]:
    """The ``work`` variables that count for ``line``: same day and shift, the line's skill
    (any skill when the line names none) and unit (staff work on their home unit; any unit
    when the line names none), as the checker counts."""
    if line.day not in m.problem.horizon or line.shift not in m.shift_ids:
        return []
    d = m.problem.horizon.index(line.day)
    return [
        var
        for member in m.problem.staff
        if line.unit is None or member.home_unit == line.unit
        for slot in m.slots[member.id]
        if slot.shift == line.shift and (line.skill is None or slot.skill == line.skill)
        for var in (m.work[member.id, d, slot],)
    ]


def line_label(m: EngineModel, line: ShiftCover) -> str:
    d = m.problem.horizon.index(line.day) if line.day in m.problem.horizon else -1
    skill = f",skill={line.skill}" if line.skill is not None else ""
    return f"cover[day={d},shift={line.shift}{skill}]"
