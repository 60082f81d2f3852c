"""The solver-free fallback: a deterministic greedy roster builder and greedy repair.

Second step of the fallback chain (DESIGN §3): when the optimizer fails, times out or is
unavailable, these build or patch a roster without any solver, and the independent
checker verifies what they produce. Every result says it came from the fallback
(``ProducedBy.GREEDY_REPAIR``) and carries the checker's report, so a roster that still
breaks a hard rule is never passed off as valid.

- ``greedy_roster`` builds each staff member's line in turn (problem order) with a beam
  search over the days that respects that member's hard rules (one shift a day, forbidden
  successions, days off, skills, credentials, shift and assignment counts, worked minutes,
  runs of working days / days off / same shift, weekends), choosing the shifts that fill
  the most valuable open cover: below the floor first, then below the target, avoiding
  staffing above the cap. Two more passes rebuild each line against everyone else's.
  Floors still open at the end are topped up as ``greedy_repair`` does.
- ``greedy_repair`` keeps the current roster: it first settles anyone whose own hard
  rules the roster breaks (one change to their line at a time), then adds one person at a
  time to each cover line below its floor, then below its target, taking the eligible
  person whose own rules stay unbroken and whose own soft cost rises least (checked
  exactly with the checker on that person's rules); when nobody is free for a floor, it
  moves someone off a line that stays at or above its own floor. Frozen days are never
  touched.
- ``fallback`` wraps ``greedy_roster`` as an engine ``SolveResult`` (status ``FALLBACK``).

Hard families the beam search does not model (clock-time rest, rolling minutes, ratios)
are still verified by the final check: ``FallbackResult.feasible`` is the checker's word,
and ``FallbackResult.unchecked`` names rules the checker cannot evaluate yet.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from careshift.domain.checker import CheckReport, Violation, check
from careshift.domain.demand import ShiftCover
from careshift.domain.problem import RosterProblem
from careshift.domain.recommendations import ProducedBy
from careshift.domain.rules import (
    AssignmentCount,
    CompleteWeekends,
    ConsecutiveDaysOff,
    ConsecutiveSameShift,
    ConsecutiveWorkingDays,
    CredentialRequired,
    ForbiddenSuccessions,
    MaxWorkingWeekends,
    Rule,
    RuleSpec,
    ShiftTypeCount,
    WorkedMinutes,
)
from careshift.domain.schedule import Assignment, Schedule
from careshift.domain.workforce import Staff, worked_minutes
from careshift.engine.result import SolveResult, input_hash, penalty_lines

#: Families whose findings depend on more than one person's assignments.
CROSS_STAFF_FAMILIES = frozenset(
    {"cover_floor", "cover_target", "interval_cover", "nurse_to_patient_ratio", "fair_share"}
)

#: Gain for filling a place below a cover floor: above any sum of soft weights, so the
#: builder fills floors before it chases targets or requests.
FLOOR_GAIN = 1_000_000
BEAM_WIDTH = 200
REBUILD_PASSES = 2


@dataclass(frozen=True)
class OpenLine:
    """A cover line still short after the fallback: people missing below floor and target."""

    day: date
    shift: str
    skill: str | None
    unit: str | None
    below_floor: int
    below_target: int


@dataclass(frozen=True)
class FallbackResult:
    """A roster from the greedy fallback, with the checker's verdict on it."""

    schedule: Schedule
    report: CheckReport
    open_lines: tuple[OpenLine, ...]
    produced_by: ProducedBy = ProducedBy.GREEDY_REPAIR
    unchecked: tuple[str, ...] = ()

    @property
    def feasible(self) -> bool:
        """True when the checker finds no hard violation (among the rules it can check:
        see ``unchecked``)."""
        return self.report.feasible

    @property
    def cost(self) -> int:
        return self.report.cost


def checked_rules(problem: RosterProblem) -> tuple[Rule, ...]:
    """The problem's rules whose family the checker can evaluate (``change_cost`` has no
    checker on some branches yet; the repair computes it from the roster difference)."""
    return tuple(rule for rule in problem.rules if type(rule.spec).violations is not RuleSpec.violations)


def unchecked_rules(problem: RosterProblem) -> tuple[str, ...]:
    """``id (family)`` of the rules the checker cannot evaluate yet, other than
    ``change_cost`` (which the repair computes): a result that passes the checker says
    nothing about these, so results list them."""
    checked = set(checked_rules(problem))
    return tuple(
        f"{rule.id} ({rule.family})" for rule in problem.rules if rule not in checked and rule.family != "change_cost"
    )


def _result(problem: RosterProblem, schedule: Schedule, book: CoverBook) -> FallbackResult:
    report = check(problem, schedule, checked_rules(problem))
    return FallbackResult(schedule, report, book.open_lines(), unchecked=unchecked_rules(problem))


# -- exact checks of one person's rules ----------------------------------------------------


class StaffRules:
    """Each person's own rules (every family but the cross-staff ones), checked exactly.

    The checker is run on a one-person copy of the problem, so asking "does this person's
    line break a hard rule?" costs one person's worth of work however large the roster.
    """

    def __init__(self, problem: RosterProblem) -> None:
        self.problem = problem
        self._sub: dict[str, RosterProblem] = {}

    def subproblem(self, staff: str) -> RosterProblem:
        if staff not in self._sub:
            member = self.problem.member(staff)
            rules = tuple(
                rule
                for rule in checked_rules(self.problem)
                if rule.family not in CROSS_STAFF_FAMILIES and rule.scope.covers(member)
            )
            requests = tuple(request for request in self.problem.requests if request.staff == staff)
            self._sub[staff] = dataclasses.replace(
                self.problem, staff=(member,), rules=rules, cover=(), requests=requests
            )
        return self._sub[staff]

    def report(self, staff: str, assignments: Iterable[Assignment]) -> CheckReport:
        """The checker's report of ``staff``'s own rules on their ``assignments``."""
        return check(self.subproblem(staff), Schedule.of(a for a in assignments if a.staff == staff))

    def hard_breaches(self, staff: str, assignments: Iterable[Assignment]) -> tuple[Violation, ...]:
        return self.report(staff, assignments).hard_violations


# -- cover bookkeeping ---------------------------------------------------------------------


def _matches(line: ShiftCover, assignment: Assignment) -> bool:
    return (
        line.day == assignment.day
        and line.shift == assignment.shift
        and (line.skill is None or line.skill == assignment.skill)
        and (line.unit is None or line.unit == assignment.unit)
    )


def _cover_weight(problem: RosterProblem, line: ShiftCover) -> int:
    """The summed weight of the soft target rules that bind ``line`` (1 when none does)."""
    weights = [
        rule.weight
        for rule in problem.rules
        if rule.family == "cover_target" and not rule.hard and rule.scope.covers_unit(line.unit)
    ]
    return sum(weights) if weights else 1


class CoverBook:
    """People on each cover line, kept up to date as the fallback adds and removes work."""

    def __init__(self, problem: RosterProblem, schedule: Iterable[Assignment] = ()) -> None:
        self.problem = problem
        self.lines = problem.cover
        self.by_key: dict[tuple[date, str], list[int]] = {}
        for index, line in enumerate(self.lines):
            self.by_key.setdefault((line.day, line.shift), []).append(index)
        self.weight = [_cover_weight(problem, line) for line in self.lines]
        self.staffed = [0] * len(self.lines)
        for assignment in schedule:
            self.add(assignment, 1)

    def matching(self, assignment: Assignment) -> list[int]:
        return [
            i for i in self.by_key.get((assignment.day, assignment.shift), ()) if _matches(self.lines[i], assignment)
        ]

    def add(self, assignment: Assignment, sign: int) -> None:
        for index in self.matching(assignment):
            self.staffed[index] += sign

    def gain(self, assignment: Assignment) -> int:
        """What one more person doing ``assignment`` is worth to cover (negative above cap)."""
        total = 0
        for index in self.matching(assignment):
            line, staffed = self.lines[index], self.staffed[index]
            if staffed < line.floor:
                total += FLOOR_GAIN + line.weight_under * self.weight[index]
            elif staffed < line.target:
                total += line.weight_under * self.weight[index]
            elif line.cap is not None and staffed >= line.cap:
                total -= line.weight_over * self.weight[index]
        return total

    def open_lines(self) -> tuple[OpenLine, ...]:
        found = []
        for line, staffed in zip(self.lines, self.staffed, strict=True):
            if staffed < line.target:
                found.append(
                    OpenLine(
                        line.day,
                        line.shift,
                        line.skill,
                        line.unit,
                        max(0, line.floor - staffed),
                        line.target - staffed,
                    )
                )
        return tuple(found)


# -- one person's line: limits from their hard rules ---------------------------------------


@dataclass
class _Limits:
    """The hard limits binding one person, intersected over every hard rule in scope."""

    forbidden: set[tuple[str, str]] = dataclasses.field(default_factory=set)
    count_max: dict[str, int] = dataclasses.field(default_factory=dict)
    count_min: dict[str, int] = dataclasses.field(default_factory=dict)
    total: tuple[int | None, int | None] = (None, None)
    minutes: tuple[int | None, int | None] = (None, None)
    work_run: tuple[int | None, int | None] = (None, None)
    off_run: tuple[int | None, int | None] = (None, None)
    same_run: dict[str, tuple[int | None, int | None]] = dataclasses.field(default_factory=dict)
    weekends_max: int | None = None
    complete_weekends: bool = False
    blocked: set[date] = dataclasses.field(default_factory=set)
    skills: frozenset[str] | None = None


def _tighten(old: tuple[int | None, int | None], low: int | None, high: int | None) -> tuple[int | None, int | None]:
    lo = low if old[0] is None else (old[0] if low is None else max(old[0], low))
    hi = high if old[1] is None else (old[1] if high is None else min(old[1], high))
    return lo, hi


def _limits(problem: RosterProblem, member: Staff) -> _Limits:
    limits = _Limits()
    for shift in problem.shift_types:
        limits.forbidden.update((shift.id, following) for following in shift.forbidden_next)
    for rule in problem.rules:
        if not rule.hard or not rule.scope.covers(member):
            continue
        spec = rule.spec
        if isinstance(spec, ForbiddenSuccessions):
            limits.forbidden.update(spec.extra_pairs)
        elif isinstance(spec, ShiftTypeCount):
            if spec.maximum is not None:
                limits.count_max[spec.shift] = min(limits.count_max.get(spec.shift, spec.maximum), spec.maximum)
            if spec.minimum is not None:
                limits.count_min[spec.shift] = max(limits.count_min.get(spec.shift, spec.minimum), spec.minimum)
        elif isinstance(spec, AssignmentCount):
            limits.total = _tighten(limits.total, spec.minimum, spec.maximum)
        elif isinstance(spec, WorkedMinutes):
            limits.minutes = _tighten(limits.minutes, spec.minimum, spec.maximum)
        elif isinstance(spec, ConsecutiveWorkingDays):
            limits.work_run = _tighten(limits.work_run, spec.minimum, spec.maximum)
        elif isinstance(spec, ConsecutiveDaysOff):
            limits.off_run = _tighten(limits.off_run, spec.minimum, spec.maximum)
        elif isinstance(spec, ConsecutiveSameShift):
            limits.same_run[spec.shift] = _tighten(
                limits.same_run.get(spec.shift, (None, None)), spec.minimum, spec.maximum
            )
        elif isinstance(spec, MaxWorkingWeekends):
            limits.weekends_max = (
                spec.maximum if limits.weekends_max is None else min(limits.weekends_max, spec.maximum)
            )
        elif isinstance(spec, CompleteWeekends):
            limits.complete_weekends = True
        elif rule.family == "days_off":
            limits.blocked.update(problem.days_off.get(member.id, frozenset()))
        elif rule.family == "skill_required":
            limits.skills = member.skills
        elif isinstance(spec, CredentialRequired):
            for day in problem.horizon.days:
                if not all(member.has_credential(code, day) for code in spec.credentials):
                    limits.blocked.add(day)
    return limits


@dataclass(frozen=True)
class _State:
    """Where a partial line stands after some days (everything later choices depend on)."""

    last: str | None  # shift worked on the previous day, None when off
    run: int  # length of the current run of working days (last set) or days off
    run_open: bool  # the run touches day 0 without history: never too short
    same: int  # length of the current run of ``last``
    same_open: bool
    counts: tuple[int, ...]
    minutes: int
    total: int
    weekends: int
    saturday: bool  # works the Saturday of the weekend in progress


@dataclass(frozen=True)
class _Path:
    choice: Assignment | None
    parent: _Path | None


def _short(length: int, minimum: int | None, is_open: bool) -> bool:
    return minimum is not None and not is_open and length < minimum


class _LineBuilder:
    """Beam search for one person's best line over the horizon, within their hard limits."""

    def __init__(self, problem: RosterProblem, member: Staff, slots: Mapping[date, Sequence[Assignment]]) -> None:
        self.problem = problem
        self.member = member
        self.limits = _limits(problem, member)
        self.slots = slots
        self.days = problem.horizon.days
        self.shift_ids = tuple(shift.id for shift in problem.shift_types)
        self.shift_index = {shift: i for i, shift in enumerate(self.shift_ids)}
        self.weekend_of: dict[date, tuple[date, ...]] = {}
        for weekend in problem.horizon.weekends():
            for day in weekend:
                self.weekend_of[day] = weekend
        tz = problem.horizon.timezone
        self.length = {(s.id, day): worked_minutes(s, day, tz) for s in problem.shift_types for day in self.days}
        self.longest = max((minutes for minutes in self.length.values()), default=0)
        self.request_value = self._request_values()

    def _request_values(self) -> dict[tuple[date, str | None], int]:
        weight = sum(
            rule.weight
            for rule in self.problem.rules
            if rule.family == "shift_requests" and not rule.hard and rule.scope.covers(self.member)
        )
        values: Counter[tuple[date, str | None]] = Counter()
        for request in self.problem.requests:
            if request.staff != self.member.id or not weight:
                continue
            # a value for working (day, shift): + for an on-request met, - for an off-request broken
            sign = 1 if request.on else -1
            values[(request.day, request.shift)] += sign * request.weight * weight
        return dict(values)

    def _request_gain(self, day: date, shift: str) -> int:
        return self.request_value.get((day, shift), 0) + self.request_value.get((day, None), 0)

    def _start(self) -> _State:
        history = self.problem.history_of(self.member.id)
        counts = tuple(0 for _ in self.shift_ids)
        if history is None:
            return _State(None, 0, True, 0, True, counts, 0, 0, 0, False)
        if history.last_shift is not None and history.consecutive_work_days > 0:
            run = history.consecutive_work_days
            last: str | None = history.last_shift
        else:
            run, last = history.consecutive_days_off, None
        return _State(
            last,
            run,
            False,
            history.consecutive_same_shift if last is not None else 0,
            False,
            counts,
            0,
            history.total_assignments,
            history.total_working_weekends,
            False,
        )

    def _step(self, state: _State, index: int, shift: str | None) -> _State | None:
        """The state after working ``shift`` (None: off) on day ``index``, or None if a hard
        limit would break."""
        limits = self.limits
        day = self.days[index]
        working = shift is not None
        was_working = state.last is not None
        first = index == 0 and self.problem.history is None
        if working:
            assert shift is not None
            if day in limits.blocked:
                return None
            if state.last is not None and (state.last, shift) in limits.forbidden:
                return None
        # runs of working days / days off
        if first:
            run, run_open = 1, True
        elif working == was_working and (index > 0 or state.run > 0):
            run, run_open = state.run + 1, state.run_open
        else:
            closing = limits.off_run[0] if not was_working else limits.work_run[0]
            if index > 0 or state.run > 0:
                if _short(state.run, closing, state.run_open):
                    return None
            run, run_open = 1, False
        high = limits.work_run[1] if working else limits.off_run[1]
        if high is not None and run > high:
            return None
        # runs of the same shift
        if working and shift == state.last and not first:
            same, same_open = state.same + 1, state.same_open
        else:
            if state.last is not None and not first:
                low = limits.same_run.get(state.last, (None, None))[0]
                if _short(state.same, low, state.same_open):
                    return None
            same, same_open = (1, first) if working else (0, False)
        if working:
            assert shift is not None
            high_same = limits.same_run.get(shift, (None, None))[1]
            if high_same is not None and same > high_same:
                return None
        counts = state.counts
        minutes, total, weekends, saturday = state.minutes, state.total, state.weekends, state.saturday
        weekend = self.weekend_of.get(day)
        if weekend is None or day == weekend[0]:
            saturday = False
        if working:
            assert shift is not None
            position = self.shift_index[shift]
            counts = counts[:position] + (counts[position] + 1,) + counts[position + 1 :]
            cap = limits.count_max.get(shift)
            if cap is not None and counts[position] > cap:
                return None
            minutes += self.length[(shift, day)]
            if limits.minutes[1] is not None and minutes > limits.minutes[1]:
                return None
            total += 1
            if limits.total[1] is not None and total > limits.total[1]:
                return None
            if weekend is not None and not saturday:
                weekends += 1
                if limits.weekends_max is not None and weekends > limits.weekends_max:
                    return None
            if weekend is not None:
                saturday = True
        if limits.complete_weekends and weekend is not None and len(weekend) == 2 and day == weekend[1]:
            if state.saturday != working:
                return None
        # can the minimums still be reached in the days left?
        left = len(self.days) - index - 1
        if limits.minutes[0] is not None and minutes + left * self.longest < limits.minutes[0]:
            return None
        if limits.total[0] is not None and total + left < limits.total[0]:
            return None
        for name, low in limits.count_min.items():
            if counts[self.shift_index[name]] + left < low:
                return None
        return _State(shift, run, run_open, same, same_open, counts, minutes, total, weekends, saturday)

    def _best_per_shift(self, book: CoverBook, day: date) -> list[Assignment]:
        """The most valuable slot (skill, unit) per shift type on ``day``: the line's limits
        depend only on the shift worked, so the other slots of that shift cannot do better."""
        best: dict[str, tuple[int, Assignment]] = {}
        for slot in self.slots.get(day, ()):
            gain = book.gain(slot)
            if slot.shift not in best or gain > best[slot.shift][0]:
                best[slot.shift] = (gain, slot)
        return [slot for _, slot in best.values()]

    def _complete(self, state: _State) -> bool:
        limits = self.limits
        if limits.minutes[0] is not None and state.minutes < limits.minutes[0]:
            return False
        if limits.total[0] is not None and state.total < limits.total[0]:
            return False
        return all(state.counts[self.shift_index[name]] >= low for name, low in limits.count_min.items())

    def build(self, book: CoverBook, fixed: Mapping[date, Assignment | None]) -> list[Assignment]:
        """The best line found: most cover gain, then requests, within the hard limits.
        ``fixed`` days keep the given assignment (or stay off). A beam that loses every
        line meeting the limits is widened (4× then 16×) before giving up."""
        for width in (BEAM_WIDTH, 4 * BEAM_WIDTH, 16 * BEAM_WIDTH):
            line = self._search(book, fixed, width)
            if line is not None:
                return line
        # No line within this person's limits: keep only what is fixed and let the
        # checker report their breaches.
        return [assignment for assignment in fixed.values() if assignment is not None]

    def _search(self, book: CoverBook, fixed: Mapping[date, Assignment | None], width: int) -> list[Assignment] | None:
        beam: list[tuple[int, _State, _Path | None]] = [(0, self._start(), None)]
        for index, day in enumerate(self.days):
            if day in fixed:
                kept = fixed[day]
                options: list[Assignment | None] = [kept]
            else:
                options = [None, *self._best_per_shift(book, day)]
            gains = [
                0 if option is None or day in fixed else book.gain(option) + self._request_gain(day, option.shift)
                for option in options
            ]
            best: dict[_State, tuple[int, _Path | None]] = {}
            for value, state, path in beam:
                for option, gain in zip(options, gains, strict=True):
                    nxt = self._step(state, index, option.shift if option is not None else None)
                    if nxt is None:
                        continue
                    total = value + gain
                    if nxt not in best or best[nxt][0] < total:
                        best[nxt] = (total, _Path(option, path))
            if not best:
                return None
            ranked = sorted(best.items(), key=lambda item: -item[1][0])[:width]
            beam = [(value, state, path) for state, (value, path) in ranked]
        finished = [entry for entry in beam if self._complete(entry[1])]
        if not finished:
            return None
        _, _, path = finished[0]
        line: list[Assignment] = []
        while path is not None:
            if path.choice is not None:
                line.append(path.choice)
            path = path.parent
        return line[::-1]


# -- slots ---------------------------------------------------------------------------------


def _slots(problem: RosterProblem, member: Staff, limits_skills: frozenset[str] | None) -> dict[date, list[Assignment]]:
    """What ``member`` could work each day: every shift on their home unit, plus every cover
    line's (shift, skill, unit) they are eligible for."""
    found: dict[date, dict[Assignment, None]] = {}
    for day in problem.horizon.days:
        found[day] = {
            Assignment(member.id, day, shift.id, None, member.home_unit): None for shift in problem.shift_types
        }
    for line in problem.cover:
        if line.day not in found:
            continue
        if line.skill is not None and limits_skills is not None and line.skill not in limits_skills:
            continue
        unit = line.unit if line.unit is not None else member.home_unit
        if unit is not None and not member.can_work_on(unit):
            continue
        found[line.day][Assignment(member.id, line.day, line.shift, line.skill, unit)] = None
    return {day: list(slots) for day, slots in found.items()}


def _frozen(problem: RosterProblem, member: Staff) -> dict[date, Assignment | None]:
    """Frozen days keep the reference's assignment (or stay off)."""
    fixed: dict[date, Assignment | None] = {}
    if not problem.frozen_days:
        return fixed
    reference = problem.reference or Schedule(())
    for day in problem.frozen_days:
        if day in problem.horizon:
            on_day = reference.on(member.id, day)
            fixed[day] = on_day[0] if on_day else None
    return fixed


def greedy_roster(problem: RosterProblem, *, passes: int = REBUILD_PASSES) -> FallbackResult:
    """Build a roster without a solver, deterministically, and have the checker verify it.

    Staff lines are built one after the other in the problem's order, each the best line
    (by cover gain, then requests) within that person's hard limits given everyone
    already placed; ``passes`` further rounds rebuild each line against all the others.
    Frozen days (``problem.frozen_days``) keep ``problem.reference``'s assignments.
    """
    book = CoverBook(problem)
    builders: dict[str, _LineBuilder] = {}
    lines: dict[str, list[Assignment]] = {}
    fixed = {member.id: _frozen(problem, member) for member in problem.staff}
    for round_ in range(passes + 1):
        for member in problem.staff:
            if member.id not in builders:
                limits = _limits(problem, member)
                builders[member.id] = _LineBuilder(problem, member, _slots(problem, member, limits.skills))
            for assignment in lines.get(member.id, ()):
                book.add(assignment, -1)
            line = builders[member.id].build(book, fixed[member.id])
            if round_ > 0 and not line and lines.get(member.id):
                line = lines[member.id]
            lines[member.id] = line
            for assignment in line:
                book.add(assignment, 1)
    schedule = Schedule.of((a for line in lines.values() for a in line), source=ProducedBy.GREEDY_REPAIR.value)
    if any(line.below_floor for line in book.open_lines()):
        # people placed early may have taken the shifts a scarce skill needed: top up the
        # floors one person at a time, as the greedy repair does
        return greedy_repair(problem, schedule)
    return _result(problem, schedule, book)


def greedy_repair(problem: RosterProblem, current: Schedule) -> FallbackResult:
    """Patch ``current`` without a solver, changing as little as it can.

    First, anyone whose own hard rules ``current`` breaks (a call-out can leave a one-day
    gap in a run) gets the single change to their own line, on a day that is not frozen,
    that removes the most breaches, repeatedly while that helps. Then each cover line
    below its floor, then below its target, gets one person at a time: someone free that
    day, the day not frozen, who may work the line's unit and skill, and whose own hard
    rules the shift does not break (checked exactly by the checker on their rules); among
    them the one whose own soft cost rises least (ties: problem order). The checker
    verifies the whole result.
    """
    rules = StaffRules(problem)
    assignments = list(current)
    reports = {member.id: rules.report(member.id, assignments) for member in problem.staff}
    own = {
        member.id: (len(report.hard_violations), report.cost)
        for member, report in zip(problem.staff, reports.values(), strict=True)
    }
    frozen = problem.frozen_days
    for member in problem.staff:
        if own[member.id][0]:
            _settle(problem, rules, member.id, assignments, own)
    book = CoverBook(problem, assignments)
    busy = {(a.staff, a.day) for a in assignments}
    order = sorted(
        range(len(book.lines)),
        key=lambda i: (book.staffed[i] >= book.lines[i].floor, book.lines[i].day, book.lines[i].shift),
    )
    for level in ("floor", "target"):
        for index in order:
            line = book.lines[index]
            wanted = line.floor if level == "floor" else line.target
            while book.staffed[index] < wanted and line.day not in frozen:
                choice = _best_addition(problem, rules, line, assignments, busy, own)
                moved: Assignment | None = None
                if choice is None and level == "floor":
                    found = _best_move(problem, rules, book, line, assignments, own)
                    if found is not None:
                        moved, choice = found[0], (found[1], found[2])
                if choice is None:
                    break
                assignment, after = choice
                if moved is not None:
                    assignments.remove(moved)
                    book.add(moved, -1)
                assignments.append(assignment)
                busy.add((assignment.staff, assignment.day))
                own[assignment.staff] = after
                book.add(assignment, 1)
    schedule = Schedule.of(assignments, source=ProducedBy.GREEDY_REPAIR.value)
    return _result(problem, schedule, book)


def _best_move(
    problem: RosterProblem,
    rules: StaffRules,
    book: CoverBook,
    line: ShiftCover,
    assignments: list[Assignment],
    own: Mapping[str, tuple[int, int]],
) -> tuple[Assignment, Assignment, tuple[int, int]] | None:
    """Move someone already working that day onto ``line`` (below its floor) when every
    line they leave stays at or above its floor and their own hard rules allow it.
    Returns (assignment given up, new assignment, their (hard, cost) after)."""
    best: tuple[int, Assignment, Assignment, tuple[int, int]] | None = None
    for current in sorted((a for a in assignments if a.day == line.day), key=Assignment.sort_key):
        if current.day in problem.frozen_days:
            continue
        member = problem.member(current.staff)
        unit = line.unit if line.unit is not None else member.home_unit
        if unit is not None and not member.can_work_on(unit):
            continue
        left = book.matching(current)
        if any(book.staffed[i] - 1 < book.lines[i].floor for i in left):
            continue
        candidate = Assignment(member.id, line.day, line.shift, line.skill, unit)
        if candidate == current or not _matches(line, candidate):
            continue
        mine = [a for a in assignments if a.staff == member.id and a != current]
        report = rules.report(member.id, [*mine, candidate])
        if len(report.hard_violations) > own[member.id][0]:
            continue
        # what the move costs: the person's own soft cost plus the target cover given up
        lost = sum(book.lines[i].weight_under * book.weight[i] for i in left if book.staffed[i] <= book.lines[i].target)
        delta = report.cost - own[member.id][1] + lost
        if best is None or delta < best[0]:
            best = (delta, current, candidate, (len(report.hard_violations), report.cost))
    if best is None:
        return None
    return best[1], best[2], best[3]


def _settle(
    problem: RosterProblem,
    rules: StaffRules,
    staff: str,
    assignments: list[Assignment],
    own: dict[str, tuple[int, int]],
) -> None:
    """Change ``staff``'s own line one assignment at a time (removing one, or adding a
    shift on a free day) while that lowers their hard breaches; frozen days stay."""
    member = problem.member(staff)
    for _ in range(len(problem.horizon.days)):
        mine = [a for a in assignments if a.staff == staff]
        worked = {a.day for a in mine}
        moves: list[tuple[list[Assignment], Assignment, bool]] = []
        for assignment in mine:
            if assignment.day not in problem.frozen_days:
                moves.append(([a for a in mine if a != assignment], assignment, False))
        for day in problem.horizon.days:
            if day in worked or day in problem.frozen_days:
                continue
            for shift in problem.shift_types:
                added = Assignment(staff, day, shift.id, None, member.home_unit)
                moves.append(([*mine, added], added, True))
        best: tuple[tuple[int, int], Assignment, bool] | None = None
        for line, changed, is_addition in moves:
            report = rules.report(staff, line)
            score = (len(report.hard_violations), report.cost)
            if score[0] < own[staff][0] and (best is None or score < best[0]):
                best = (score, changed, is_addition)
        if best is None:
            return
        score, changed, is_addition = best
        if is_addition:
            assignments.append(changed)
        else:
            assignments.remove(changed)
        own[staff] = score
        if not score[0]:
            return


def _best_addition(
    problem: RosterProblem,
    rules: StaffRules,
    line: ShiftCover,
    assignments: list[Assignment],
    busy: set[tuple[str, date]],
    own: Mapping[str, tuple[int, int]],
) -> tuple[Assignment, tuple[int, int]] | None:
    """The eligible addition to ``line`` that raises its person's own soft cost least, with
    that person's (hard breaches, soft cost) after it; None when nobody is eligible."""
    best: tuple[int, Assignment, tuple[int, int]] | None = None
    for member in problem.staff:
        if (member.id, line.day) in busy:
            continue
        unit = line.unit if line.unit is not None else member.home_unit
        if unit is not None and not member.can_work_on(unit):
            continue
        candidate = Assignment(member.id, line.day, line.shift, line.skill, unit)
        mine = [a for a in assignments if a.staff == member.id]
        report = rules.report(member.id, [*mine, candidate])
        hard_before, cost_before = own[member.id]
        # someone already breaking a rule may be used if the shift adds no new breach
        if len(report.hard_violations) > hard_before:
            continue
        delta = report.cost - cost_before
        if best is None or delta < best[0]:
            best = (delta, candidate, (len(report.hard_violations), report.cost))
    if best is None:
        return None
    return best[1], best[2]


def fallback(problem: RosterProblem) -> SolveResult:
    """The greedy roster as a ``SolveResult`` marked as the fallback (``status ==
    "FALLBACK"``, ``fallback=True``), for callers of ``careshift.engine.solve``.

    ``objective`` is the checker's cost; ``penalties`` hold the soft findings; hard
    breaches, if any, are in ``check(problem, result.schedule)`` (read it before use).
    """
    started = time.monotonic()
    result = greedy_roster(problem)
    lines = penalty_lines(result.report)
    elapsed = time.monotonic() - started
    return SolveResult(
        status="FALLBACK",
        schedule=result.schedule,
        objective=result.cost,
        best_bound=float("-inf"),
        wall_time=elapsed,
        time_to_best=elapsed,
        penalties=lines,
        solver_version="greedy fallback (no solver)",
        parameters=(("strategy", "greedy"), ("beam_width", str(BEAM_WIDTH)), ("passes", str(REBUILD_PASSES))),
        input_hash=input_hash(problem),
        fallback=True,
        route="fallback",
    )
