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

On Instance21 everyone works about their minimum of minutes, so a person takes an uncovered
shift only by giving up one of theirs, and the shortfalls and the surplus lie in different
weeks. A cut of one stretch cannot trade between them; so ``APART`` of the cuts are of two
stretches of ``weeks - 1`` free weeks each, apart from each other, joined into one problem:
the second follows the first after a held bridge that keeps every run as the whole has it
(``cut``'s ``also``).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from ortools.sat.python import cp_model

from careshift.domain.checker import check
from careshift.domain.errors import InfeasibleError
from careshift.domain.problem import DaysOff, RosterProblem
from careshift.domain.rules.base import Rule, RuleSpec, Scope
from careshift.domain.rules.sequence import ConsecutiveDaysOff
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

#: Share of the cuts made of two stretches apart (``cut``'s ``also``), where ``splittable``:
#: none, since no share tried gained on Instance21 (ADR 0003, seventeenth round).
APART = 0.0

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


def splittable(problem: RosterProblem) -> bool:
    """True when a cut may join two stretches apart (``cut``'s ``also``): no day's rules
    depend on its date beyond what the cut moves with it (no credential expires inside the
    horizon, and every shift is as long on every day: no clock change), and no hard maximum
    on a rest (the bridge between the stretches lengthens rests)."""
    days = problem.horizon.days
    if any(
        rule.hard and isinstance(rule.spec, ConsecutiveDaysOff) and rule.spec.maximum is not None
        for rule in problem.rules
    ):
        return False
    if any(
        credential.expires is not None and days[0] <= credential.expires < days[-1]
        for member in problem.staff
        for credential in member.credentials
    ):
        return False
    zones = {problem.horizon.timezone, *(unit.timezone for unit in problem.units)}
    return all(
        len({worked_minutes(shift, day, zone) for day in days}) == 1 for shift in problem.shift_types for zone in zones
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
    """Days of the whole as a problem of their own. ``stretches`` are the whole's day indexes
    it holds, in order (one range, or two apart with a held bridge between them, see
    ``cut``); its days follow one another from the first stretch's first day, so a second
    stretch's days are moved, and ``whole_day`` gives each stretch day's day in the whole
    (bridge days have none). ``free`` are the cut's day indexes the search may change."""

    problem: RosterProblem
    stretches: tuple[range, ...]
    free: tuple[int, ...]
    whole_day: dict[date, date]


class NoBridge(ValueError):
    """Two stretches cannot be joined in one cut (too close, or someone works every day
    the bridge could copy)."""


def cut(problem: RosterProblem, schedule: Schedule, free: range, held: int, *, also: range | None = None) -> Cut:
    """``problem`` cut to ``free`` (day indexes) plus ``held`` days either side, widened to a
    Monday before and a Sunday after; every day outside ``free`` in the cut is frozen to
    ``schedule``. ``problem`` must be ``windowable`` and ``schedule`` keep its hard rules.

    Why the cut's cost differs from the whole's by a constant: a run crossing the cut's
    border spans a held margin at least one day longer than any run bound, so inside the
    cut it is either too long already (forbidden as in the whole) or no run the free days
    can make is charged differently; the totals' bounds are shifted by what lies outside,
    and a distance outside a range is the same either way.

    ``also`` (free days of a second stretch, with its own held days) makes a cut of two
    stretches; when they overlap or touch they are one stretch. Otherwise the later one
    follows the earlier one after a bridge of held days (whole weeks, so every moved day
    keeps its weekday; at most ``2 * held``), ``problem`` must be ``splittable``, and ``NoBridge`` is
    raised when a bridge cannot be built. Joining the two held ends directly could break a
    hard rule no free day takes part in (a night on one side's Sunday before an early on
    the other's Monday). So each person's bridge copies what they work in the whole after
    the first stretch up to their first day off, then is off, then copies what they work
    before the second stretch from their last day off before it: every run is as long as
    in the whole or is a longer rest, and what the bridge copies counts in the cut's totals
    instead of outside it."""
    days = problem.horizon.days
    frees = sorted([free] if also is None else [free, also], key=lambda item: item.start)
    stretches: list[range] = []
    for item in frees:
        stretch = _stretch(days, item, held)
        if stretches and stretch.start <= stretches[-1].stop:
            stretches[-1] = range(stretches[-1].start, max(stretch.stop, stretches[-1].stop))
        else:
            stretches.append(stretch)
    first = days[stretches[0].start]
    moved: dict[date, date] = {}  # whole's day -> the cut's, for the stretches' days
    bridge: dict[str, dict[date, date]] = {}  # per person: the whole's day -> the cut's
    width = 0
    for d in stretches[0]:
        moved[days[d]] = first + timedelta(days=d - stretches[0].start)
    if len(stretches) > 1:
        left, right = stretches
        width, copies = _bridge(problem, schedule, left, right, 2 * held)
        opens = first + timedelta(days=len(left))
        bridge = {staff: {day: opens + timedelta(days=n) for day, n in mine.items()} for staff, mine in copies.items()}
        offset = len(left) + width - right.start
        for d in right:
            moved[days[d]] = first + timedelta(days=d + offset)
    copied = {(staff, day) for staff, items in bridge.items() for day in items}
    open_days = {days[d] for item in frees for d in item}
    outside: dict[str, list[Assignment]] = {}
    for a in schedule:
        if a.day not in moved and (a.staff, a.day) not in copied:
            outside.setdefault(a.staff, []).append(a)
    rules = []
    weekends = [weekend for weekend in problem.horizon.weekends() if not moved.keys() & set(weekend)]
    for rule in problem.rules:
        if rule.family in TOTALS:
            rules.extend(_shifted(problem, rule, outside, weekends))
        else:
            rules.append(rule)
    held_roster = [dataclasses.replace(a, day=moved[a.day]) for a in schedule if a.day in moved]
    held_roster += [dataclasses.replace(a, day=bridge[a.staff][a.day]) for a in schedule if (a.staff, a.day) in copied]
    length = sum(map(len, stretches)) + width
    names = ", ".join(f"{stretch.start + 1}-{stretch.stop}" for stretch in stretches)
    sub = dataclasses.replace(
        problem,
        name=f"{problem.name} days {names}",
        horizon=Horizon(first, length, problem.horizon.timezone),
        rules=tuple(rules),
        cover=tuple(dataclasses.replace(line, day=moved[line.day]) for line in problem.cover if line.day in moved),
        requests=tuple(dataclasses.replace(r, day=moved[r.day]) for r in problem.requests if r.day in moved),
        days_off=DaysOff(
            {staff: frozenset(moved[day] for day in items if day in moved) for staff, items in problem.days_off.items()}
        ),
        holidays=frozenset(moved[day] for day in problem.holidays if day in moved),
        reference=Schedule.of(held_roster),
        frozen_days=frozenset(first + timedelta(days=i) for i in range(length)) - {moved[day] for day in open_days},
    )
    whole_day = {day: real for real, day in moved.items()}
    free_at = tuple(i for i in range(length) if whole_day.get(first + timedelta(days=i)) in open_days)
    return Cut(sub, tuple(stretches), free_at, whole_day)


def _stretch(days: tuple[date, ...], free: range, held: int) -> range:
    """``free`` with ``held`` days either side, from a Monday to a Sunday (or the horizon's
    border)."""
    start = _monday_on_or_before(days, max(0, free.start - held))
    stop = min(len(days), free.stop + held)
    return range(start, min(len(days), stop + ((6 - days[stop - 1].weekday()) if stop < len(days) else 0)))


def _bridge(
    problem: RosterProblem, schedule: Schedule, left: range, right: range, limit: int
) -> tuple[int, dict[str, dict[date, int]]]:
    """A bridge between ``left`` and ``right``: its width (whole weeks, the fewest that hold
    everyone's copies, at most ``limit``) and, per person, the whole's days it copies, each
    with its place in the bridge: from ``left``'s end up to and including their first day
    off, and from their last day off before ``right`` to its start (nothing when ``left``'s
    last day, or ``right``'s first, is off already)."""
    days = problem.horizon.days
    room = min(limit, right.start - left.stop)
    worked = {(a.staff, a.day) for a in schedule}
    ends: dict[str, tuple[int, int]] = {}
    for member in problem.staff:
        after = next((n for n in range(room + 1) if (member.id, days[left.stop + n - 1]) not in worked), None)
        before = next((n for n in range(room + 1) if (member.id, days[right.start - n]) not in worked), None)
        if after is None or before is None or after + before > room:
            raise NoBridge(
                f"no bridge of {room} days between days {left.stop} and {right.start + 1}: "
                f"{member.id} works on every day it could copy"
            )
        ends[member.id] = (after, before)
    width = 7 * math.ceil(max((after + before for after, before in ends.values()), default=0) / 7)
    copies: dict[str, dict[date, int]] = {}
    for staff, (after, before) in ends.items():
        mine = {days[left.stop + n]: n for n in range(after)}
        copies[staff] = mine | {days[right.start - n]: width - n for n in range(1, before + 1)}
    return width, copies


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
    """Counters of one ``improve_by_cuts`` run: cuts solved (``apart`` of them of two
    stretches; ``unbridged`` drawn so but made of one, see ``NoBridge``), cuts that lowered
    the cost,
    cuts whose held roster the cut's model refused (should not happen), LNS steps."""

    cuts: int = 0
    apart: int = 0
    unbridged: int = 0
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
    apart: float = APART,
    apart_weeks: int | None = None,
    on_improve: Callable[[int], None] | None = None,
) -> tuple[Schedule, CutStats]:
    """Improve ``schedule`` (which must keep ``problem``'s hard rules) cut by cut until
    ``deadline``: each cut frees ``weeks`` weeks centred on a day drawn in proportion to what
    the roster pays there, and gets ``seconds`` of ``engine.lns``. A share ``apart`` of the
    cuts (where the problem is ``splittable``) free two stretches of ``apart_weeks`` weeks
    (default ``weeks - 1``) instead, each centred on such a day, apart. A cut's roster replaces those days when the
    checker finds the whole no dearer. Returns the roster and counters."""
    from careshift.engine.solve import extract_schedule, hinted_incumbent  # solve imports this module

    started = time.monotonic() if started is None else started
    rng = random.Random(seed)
    held = margin(problem)
    days = problem.horizon.days
    width = min(len(days), 7 * weeks)
    narrow = 7 * (max(1, weeks - 1) if apart_weeks is None else apart_weeks)
    split = apart > 0 and splittable(problem)
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
        centre = _draw(rng, by_day, range(len(days)))
        also = None
        if split and rng.random() < apart:
            free = free_days(problem, centre, narrow)
            # a second stretch far enough for a bridge between the two (``cut``)
            first = _stretch(days, free, held)
            others = [_stretch(days, free_days(problem, d, narrow), held) for d in range(len(days))]
            away = [d for d, other in enumerate(others) if _apart(other, first, held)]
            if away:
                also = free_days(problem, _draw(rng, {d: by_day[d] for d in away if d in by_day}, away), narrow)
        if also is None:
            free = free_days(problem, centre, width)
        began = time.monotonic()
        try:
            piece = cut(problem, current, free, held, also=also)
        except NoBridge:
            stats.unbridged += 1
            also = None
            piece = cut(problem, current, free_days(problem, centre, width), held)
        m = build_model(piece.problem)
        incumbent = hinted_incumbent(m, piece.problem.reference or current, started, deadline)
        setup = time.monotonic() - began
        if incumbent is None and time.monotonic() >= deadline:
            break  # out of time, not refused
        stats.cuts += 1
        stats.apart += also is not None
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
            span=piece.free,
        )
        stats.steps += lns.steps
        if found.objective >= incumbent.objective:
            continue
        inside = set(piece.whole_day.values())
        changed = extract_schedule(m, functools.partial(_read, found.values), "engine")
        candidate = Schedule.of(
            [
                *(a for a in current if a.day not in inside),
                *(dataclasses.replace(a, day=piece.whole_day[a.day]) for a in changed if a.day in piece.whole_day),
            ],
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


def _apart(one: range, other: range, held: int) -> bool:
    """True when ``2 * held`` days or more lie between ``one`` and ``other`` (room for a
    bridge, see ``cut``)."""
    return one.stop + 2 * held <= other.start or other.stop + 2 * held <= one.start


def _draw(rng: random.Random, weights: dict[int, int], otherwise: Sequence[int]) -> int:
    """A day index drawn in proportion to ``weights``, or uniformly from ``otherwise`` when
    no day has weight."""
    if weights:
        return rng.choices(list(weights), weights=list(weights.values()))[0]
    return rng.choice(otherwise)


def _monday_on_or_before(days: tuple[date, ...], index: int) -> int:
    """The index of the Monday on or before ``days[index]``, or 0 when that is before the horizon."""
    return max(0, index - days[index].weekday())


def _read(values: list[int], var: cp_model.IntVar) -> int:
    return values[var.index]
