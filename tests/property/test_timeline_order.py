"""Interval checks do not depend on the order of the assignments in the schedule."""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from careshift.domain.checker import check
from careshift.domain.rules.assignment import CredentialRequired
from careshift.domain.rules.fairness import FairShare
from careshift.domain.rules.interval import IntervalCoverRule, NurseToPatientRatio
from careshift.domain.rules.rest import MinRestBetweenShifts, RestAfterNightBlock
from careshift.domain.rules.workload import RollingWorkedMinutes
from careshift.domain.schedule import Assignment, Schedule
from careshift.domain.workforce import Credential
from tests.unit.timerules_builders import at, census_every_15, cover_every_15, nurse, problem, rule

SPRING = date(2026, 3, 6)
STAFF = [
    nurse("a", credentials=(Credential("RN-CA", date(2026, 3, 7)),)),
    nurse("b", credentials=(Credential("RN-CA"),)),
    nurse("c", roles=("LPN",), contract="P60"),
    nurse("d", roles=("CNA",)),
    nurse("e", contract="P90"),
]
RULES = [
    rule(NurseToPatientRatio(patients_per_nurse={"med_surg": 5}, roles=frozenset({"RN", "LPN"})), hard=True),
    rule(IntervalCoverRule(level="floor", break_relief=False), hard=True, rule_id="floor"),
    rule(IntervalCoverRule(level="target"), rule_id="target"),
    rule(MinRestBetweenShifts(hours=11)),
    rule(RestAfterNightBlock(hours=48)),
    rule(RollingWorkedMinutes(window_hours=24, maximum=720), rule_id="24h"),
    rule(RollingWorkedMinutes(window_hours=72, maximum=1800), rule_id="72h"),
    rule(CredentialRequired(credentials=frozenset({"RN-CA"}))),
    rule(FairShare(kind="nights")),
]
TINY = problem(
    STAFF,
    RULES,
    start=SPRING,
    length=4,
    census=census_every_15("4W", at(SPRING, 7), at(SPRING + timedelta(days=4), 6, 45), 12),
    interval_cover=cover_every_15("4W", at(SPRING, 7), 4 * 96 - 4, floor=1, target=3, cap=4),
)

assignment_sets = st.sets(
    st.builds(
        Assignment,
        staff=st.sampled_from("abcde"),
        day=st.sampled_from([SPRING + timedelta(days=k) for k in range(4)]),
        shift=st.sampled_from("DNEL"),
    ),
    max_size=14,
)


@settings(max_examples=40, deadline=None)
@given(assignments=assignment_sets, data=st.data())
def test_checking_is_invariant_to_assignment_order(assignments, data) -> None:  # type: ignore[no-untyped-def]
    ordered = sorted(assignments)
    shuffled = data.draw(st.permutations(ordered))
    assert check(TINY, Schedule(tuple(ordered))) == check(TINY, Schedule(tuple(shuffled)))
