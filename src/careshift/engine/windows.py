"""Long horizons improved a few weeks at a time, every person at once.

The person-by-person search (``engine.lines``) re-solves one to three people against the
cover the others hold; on Curtois Instance21 (100 nurses, 26 weeks) it stalls 17 % above the
best known, since a better roster needs many people to trade shifts at once. The whole model
is too big for the LNS of ``engine.lns`` (145 600 ``work`` variables, ``lines.LARGE``), but a
few weeks of it are not. So a stretch of days (``WINDOW_WEEKS``) is cut out as a problem of
its own (``cut``): its days plus ``margin`` days either side held as they are (the frozen
days of the cut, so that runs and successions across its borders stay as the whole has
them), the horizon totals' bounds (shifts of a type, assignments, minutes, weekends) less
what each person works outside it. The cut's cost then differs from the whole's by a
constant, and the LNS improves it as it would a four-week instance; the result goes back
into the roster when the checker finds the whole no dearer.

A cut begins on a Monday and ends on a Sunday (a weekend is wholly in or out of it), unless
the horizon's own border falls inside.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from ortools.sat.python import cp_model

from careshift.domain.checker import check
from careshift.domain.errors import InfeasibleError
from careshift.domain.problem import DaysOff, RosterProblem
from careshift.domain.rules.base import Rule, RuleSpec, Scope
from careshift.domain.rules.weekend import MaxWorkingWeekends
from careshift.domain.rules.workload import AssignmentCount, ShiftTypeCount, WorkedMinutes
from careshift.domain.schedule import Assignment, Schedule
from careshift.domain.time import Horizon
from careshift.domain.workforce import worked_minutes
from careshift.engine.build import build_model
from careshift.engine.lns import improve

#: Rule families a cut charges as the whole does once the days around it are held.
LOCAL = frozenset(
    {
        "one_shift_per_day",
        "forbidden_successions",
        "skill_required",
        "days_off",
        "shift_requests",
        "cover_floor",
        "cover_target",
        "consecutive_working_days",
        "consecutive_same_shift",
        "consecutive_days_off",
        "complete_weekends",
    }
)

#: Families counted over the whole horizon: a cut's bounds are the whole's less what each
#: person works outside it.
TOTALS = frozenset({"shift_type_count", "assignment_count", "worked_minutes", "max_working_weekends"})

#: Weeks whose days a cut leaves free (its held margins come on top).
WINDOW_WEEKS = 3

#: Seconds of LNS per cut.
CUT_SECONDS = 15.0

#: Cuts with more ``work`` variables than this are not tried (Curtois Instance21's: 28 000;
#: Instance24's would be 168 000).
CUT_LIMIT = 40_000


def windowable(problem: RosterProblem) -> bool:
    """True when ``problem`` can be improved a stretch of days at a time: only ``LOCAL`` and
    ``TOTALS`` rules, each in effect over the whole horizon; no history, reference schedule
    or frozen days (a cut's own frozen days are its margins); cover by shift, not by
    interval or census; and a horizon longer than one cut."""
    days = problem.horizon.days
    if problem.history is not None or problem.reference is not None or problem.frozen_days:
        return False
    if problem.interval_cover or problem.census or len(days) < 7 * WINDOW_WEEKS + 2 * margin(problem):
        return False
    return all(
        rule.family in LOCAL | TOTALS and rule.in_effect(days[0]) and rule.in_effect(days[-1]) for rule in problem.rules
    )


def margin(problem: RosterProblem) -> int:
    """Days held on either side of a cut's free days: whole weeks, at least one more than
    any run bound, so that a run crossing a cut's border is as long inside as its bounds can
    tell (see ``cut``)."""
    longest = 1
    for rule in problem.rules:
        if rule.family.startswith("consecutive_"):
            bounds = [getattr(rule.spec, name, None) for name in ("minimum", "maximum")]
            longest = max([longest, *(bound for bound in bounds if isinstance(bound, int))])
    return 7 * math.ceil((longest + 1) / 7)


def cut_size(problem: RosterProblem, weeks: int = WINDOW_WEEKS) -> int:
    """About how many ``work`` variables a cut of ``weeks`` free weeks has (staff × days ×
    shifts × skills, its margins included)."""
    skills = len({line.skill for line in problem.cover if line.skill is not None}) or 1
    days = min(len(problem.horizon.days), 7 * weeks + 2 * margin(problem))
    return len(problem.staff) * days * len(problem.shift_types) * skills


@dataclass(frozen=True)
class Cut:
    """Days ``start`` to ``stop`` (indexes, ``stop`` excluded) of the whole as a problem of
    their own; ``free`` are the indexes the search may change."""

    problem: RosterProblem
    start: int
    stop: int
    free: range


def cut(problem: RosterProblem, schedule: Schedule, free: range, held: int) -> Cut:
    """``problem`` cut to ``free`` (day indexes) plus ``held`` days either side, widened to a
    Monday before and a Sunday after; every day outside ``free`` in the cut is frozen to
    ``schedule``. ``problem`` must be ``windowable`` and ``schedule`` keep its hard rules.

    Why the cut's cost differs from the whole's by a constant: a run crossing the cut's
    border spans a held margin at least one day longer than any run bound, so inside the
    cut it is either too long already (forbidden as in the whole) or no run the free days
    can make is charged differently; the totals' bounds are shifted by what lies outside,
    and a distance outside a range is the same either way."""
    days = problem.horizon.days
    start = _monday_on_or_before(days, max(0, free.start - held))
    stop = min(len(days), free.stop + held)
    stop += (6 - days[stop - 1].weekday()) if stop < len(days) else 0
    stop = min(len(days), stop)
    inside = set(days[start:stop])
    horizon = Horizon(days[start], stop - start, problem.horizon.timezone)
    outside: dict[str, list[Assignment]] = {}
    for a in schedule:
        if a.day not in inside:
            outside.setdefault(a.staff, []).append(a)
    rules = []
    weekends = [weekend for weekend in problem.horizon.weekends() if not inside & set(weekend)]
    for rule in problem.rules:
        if rule.family in TOTALS:
            rules.extend(_shifted(problem, rule, outside, weekends))
        else:
            rules.append(rule)
    frozen = frozenset(days[d] for d in range(start, stop) if d not in free)
    sub = dataclasses.replace(
        problem,
        name=f"{problem.name} days {start + 1}-{stop}",
        horizon=horizon,
        rules=tuple(rules),
        cover=tuple(line for line in problem.cover if line.day in inside),
        requests=tuple(request for request in problem.requests if request.day in inside),
        days_off=DaysOff(
            {staff: frozenset(day for day in items if day in inside) for staff, items in problem.days_off.items()}
        ),
        reference=Schedule.of([a for a in schedule if a.day in inside]),
        frozen_days=frozen,
    )
    return Cut(sub, start, stop, range(max(free.start, start), min(free.stop, stop)))


def _shifted(
    problem: RosterProblem, rule: Rule, outside: dict[str, list[Assignment]], weekends: list[tuple[date, ...]]
) -> list[Rule]:
    """``rule`` (a horizon total) per person in its scope, its bounds less what they work in
    ``outside`` (per person, their assignments on days outside the cut) and on ``weekends``
    (those wholly outside it)."""
    spec = rule.spec
    zones = {unit.id: unit.timezone for unit in problem.units}
    rules = []
    members = [member for member in problem.staff if rule.scope.covers(member)]
    for member in members:
        mine = outside.get(member.id, [])
        shifted: RuleSpec
        if isinstance(spec, ShiftTypeCount):
            used = sum(a.shift == spec.shift for a in mine)
            shifted = ShiftTypeCount(spec.shift, _less(spec.minimum, used), _less(spec.maximum, used))
        elif isinstance(spec, AssignmentCount):
            used = len(mine)
            shifted = AssignmentCount(_less(spec.minimum, used), _less(spec.maximum, used))
        elif isinstance(spec, WorkedMinutes):
            default = problem.horizon.timezone
            used = sum(
                worked_minutes(problem.shift_type(a.shift), a.day, zones.get(a.unit, default) if a.unit else default)
                for a in mine
            )
            shifted = WorkedMinutes(_less(spec.minimum, used), _less(spec.maximum, used))
        elif isinstance(spec, MaxWorkingWeekends):
            worked = {a.day for a in mine}
            used = sum(1 for weekend in weekends if worked & set(weekend))
            shifted = MaxWorkingWeekends(max(0, spec.maximum - used))
        else:  # pragma: no cover - TOTALS lists the families above
            raise AssertionError(rule.family)
        rule_id = rule.id if len(members) == 1 else f"{rule.id}/{member.id}"
        rules.append(dataclasses.replace(rule, id=rule_id, spec=shifted, scope=Scope(staff=frozenset({member.id}))))
    return rules


def _less(bound: int | None, used: int) -> int | None:
    if bound is None:
        return None
    return max(0, bound - used)


@dataclass
class CutStats:
    """Counters of one ``improve_by_cuts`` run: cuts solved, cuts that lowered the cost,
    cuts whose held roster the cut's model refused (should not happen), LNS steps."""

    cuts: int = 0
    improved: int = 0
    refused: int = 0
    steps: int = 0
    costs: list[int] = field(default_factory=list)


def improve_by_cuts(
    problem: RosterProblem,
    schedule: Schedule,
    deadline: float,
    *,
    seed: int = 0,
    workers: int = 2,
    started: float | None = None,
    weeks: int = WINDOW_WEEKS,
    seconds: float = CUT_SECONDS,
    on_improve: Callable[[int], None] | None = None,
) -> tuple[Schedule, CutStats]:
    """Improve ``schedule`` (which must keep ``problem``'s hard rules) cut by cut until
    ``deadline``: each cut frees ``weeks`` weeks centred on a day drawn in proportion to what
    the roster pays there, and gets ``seconds`` of ``engine.lns``. A cut's roster replaces
    those days when the checker finds the whole no dearer. Returns the roster and counters."""
    from careshift.engine.solve import extract_schedule, hinted_incumbent  # solve imports this module

    started = time.monotonic() if started is None else started
    rng = random.Random(seed)
    held = margin(problem)
    days = problem.horizon.days
    width = min(len(days), 7 * weeks)
    report = check(problem, schedule)
    if not report.feasible:
        breach = report.hard_violations[0]
        raise InfeasibleError(
            f"improve_by_cuts needs a roster that keeps the hard rules; this one breaks "
            f"{len(report.hard_violations)}, the first {breach.rule_id}: {breach.reason}"
        )
    current, cost = schedule, report.cost
    stats = CutStats(costs=[cost])
    index = {day: d for d, day in enumerate(days)}
    setup = 1.0  # seconds a cut takes before its LNS starts (the last one's, once measured)
    while time.monotonic() < deadline - setup - 1.0:
        # where the roster pays, day by day; horizon totals are reported on the last day,
        # which says nothing about where they could be mended, so they do not count
        by_day: Counter[int] = Counter()
        for violation in report.violations:
            d = index.get(violation.day) if violation.day is not None else None
            if d is not None and violation.penalty and violation.family not in TOTALS:
                by_day[d] += violation.penalty
        centre = rng.choices(list(by_day), weights=list(by_day.values()))[0] if by_day else rng.randrange(len(days))
        free = free_days(problem, centre, width)
        began = time.monotonic()
        piece = cut(problem, current, free, held)
        m = build_model(piece.problem)
        incumbent = hinted_incumbent(m, current, started, deadline)
        setup = time.monotonic() - began
        if incumbent is None and time.monotonic() >= deadline:
            break  # out of time, not refused
        stats.cuts += 1
        if incumbent is None:
            stats.refused += 1
            continue
        found, lns = improve(
            m,
            incumbent,
            min(deadline, time.monotonic() + seconds),
            seed=rng.randrange(1 << 30),
            workers=workers,
            started=started,
            span=range(piece.free.start - piece.start, piece.free.stop - piece.start),
        )
        stats.steps += lns.steps
        if found.objective >= incumbent.objective:
            continue
        inside = set(m.days)
        changed = extract_schedule(m, functools.partial(_read, found.values), "engine")
        candidate = Schedule.of(
            [*(a for a in current if a.day not in inside), *changed],
            source="engine",
            policy_version=problem.policy_version,
        )
        checked = check(problem, candidate)
        if checked.feasible and checked.cost <= cost:
            stats.improved += checked.cost < cost
            current, cost, report = candidate, checked.cost, checked
            stats.costs.append(cost)
            if on_improve is not None:
                on_improve(cost)
    return current, stats


def free_days(problem: RosterProblem, centre: int, width: int) -> range:
    """``width`` days (indexes) around ``centre`` to leave free in a cut: from the Monday on or
    before ``centre - width // 2``, or the last ``width`` days when that would run past the
    horizon (``cut`` widens its held days to whole weeks anyway)."""
    days = problem.horizon.days
    width = min(width, len(days))
    first = _monday_on_or_before(days, max(0, centre - width // 2))
    if first + width > len(days):
        first = len(days) - width
    return range(first, first + width)


def _monday_on_or_before(days: tuple[date, ...], index: int) -> int:
    """The index of the Monday on or before ``days[index]``, or 0 when that is before the horizon."""
    return max(0, index - days[index].weekday())


def _read(values: list[int], var: cp_model.IntVar) -> int:
    return values[var.index]
