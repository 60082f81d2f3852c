"""Rule families, one per module, listed in one catalogue (hard-by-nature families first)."""

from __future__ import annotations

from careshift.domain.rules.assignment import CredentialRequired, OneShiftPerDay, SkillRequired
from careshift.domain.rules.base import Finding, Rule, RuleSpec, Scope
from careshift.domain.rules.cover import CoverFloor, CoverTarget
from careshift.domain.rules.fairness import ChangeCost, FairShare
from careshift.domain.rules.interval import IntervalCoverRule, NurseToPatientRatio
from careshift.domain.rules.leave import DaysOffRespected
from careshift.domain.rules.preference import ShiftRequests
from careshift.domain.rules.rest import ForbiddenSuccessions, MinRestBetweenShifts, RestAfterNightBlock
from careshift.domain.rules.sequence import ConsecutiveDaysOff, ConsecutiveSameShift, ConsecutiveWorkingDays
from careshift.domain.rules.weekend import CompleteWeekends, MaxWorkingWeekends
from careshift.domain.rules.workload import AssignmentCount, RollingWorkedMinutes, ShiftTypeCount, WorkedMinutes

CATALOGUE: dict[str, type[RuleSpec]] = {
    spec.family: spec
    for spec in (
        OneShiftPerDay,
        SkillRequired,
        CredentialRequired,
        DaysOffRespected,
        ForbiddenSuccessions,
        MinRestBetweenShifts,
        RestAfterNightBlock,
        CoverFloor,
        NurseToPatientRatio,
        IntervalCoverRule,
        ConsecutiveWorkingDays,
        ConsecutiveSameShift,
        ConsecutiveDaysOff,
        ShiftTypeCount,
        AssignmentCount,
        WorkedMinutes,
        RollingWorkedMinutes,
        MaxWorkingWeekends,
        CompleteWeekends,
        ShiftRequests,
        CoverTarget,
        FairShare,
        ChangeCost,
    )
}

__all__ = [
    "CATALOGUE",
    "AssignmentCount",
    "ChangeCost",
    "CompleteWeekends",
    "ConsecutiveDaysOff",
    "ConsecutiveSameShift",
    "ConsecutiveWorkingDays",
    "CoverFloor",
    "CoverTarget",
    "CredentialRequired",
    "DaysOffRespected",
    "FairShare",
    "Finding",
    "ForbiddenSuccessions",
    "IntervalCoverRule",
    "MaxWorkingWeekends",
    "MinRestBetweenShifts",
    "NurseToPatientRatio",
    "OneShiftPerDay",
    "RestAfterNightBlock",
    "RollingWorkedMinutes",
    "Rule",
    "RuleSpec",
    "Scope",
    "ShiftRequests",
    "ShiftTypeCount",
    "SkillRequired",
    "WorkedMinutes",
]
