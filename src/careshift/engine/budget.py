"""Every line of one person within a budget of their least, by labelling over hard rules.

Column generation proves a Lagrangian bound (``columns.Certificate``): at its multipliers,
``SCALE`` × a roster's cost is the certificate's ``total`` plus, per person, how far their
line's ``SCALE × own − charges`` lies above their least, plus per cover row a share that is
never negative. So a roster of cost at most ``U`` holds only lines within ``SCALE × U −
total`` of each person's least, and when those lines are listed completely, a master over
them (one line a person, the cover rows) is exact (ADR 0003, eighteenth and nineteenth
rounds). CP-SAT's ``enumerate_all_solutions`` lists them at a few thousand lines a second
and did not finish for a third of Curtois Instance7's people in 3 s each; this does it by
dynamic programming.

Curtois & Qu's per-person rules are all hard and read a day at a time, so a line is a path
through states that remember:

* the option worked the day before (off or a shift) and the length of the current run (work
  or off), capped where no rule reads further, and whether that run began on the first day
  (a run touching day 0 is not too short, ``domain.rules.sequence``);
* the shifts worked per type with a maximum that can bind, the minutes worked (in units of
  the shift lengths' greatest common divisor), and the weekends worked.

Only the states a line reaches from the first day are laid out, day by day (a state is an
index into the product of those components, which can be millions where a few thousand are
reached); per day and option, one array gives each state's next state (or -1). The least
completion from every state on every day is then a backward pass of gathers (milliseconds a
person), the least cost to it a forward one, and a depth-first walk from the first day over
the states on some line within the budget lists exactly those lines: a branch is followed
only when its cost so far plus the least completion stays within, so no branch is a dead end
and the walk costs in proportion to the lines listed.

``BudgetLines.of`` returns None for a person with a rule it does not model (a soft rule
other than shift requests, a rule in effect for part of the horizon, history, a shift whose
minutes change with the day) or whose lines pass through more states than its limit
(``ColumnGeneration.exact`` gives each person what the people before left of
``STATES_LIMIT``), whose lines are then not listed.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from careshift.domain.rules.base import Rule
from careshift.domain.rules.rest import ForbiddenSuccessions
from careshift.domain.workforce import worked_minutes
from careshift.engine.lines import Person
from careshift.engine.pricing import request_charges

#: Hard per-person families modelled; ``shift_requests`` is the one soft family (the own cost).
HARD_FAMILIES = frozenset(
    {
        "one_shift_per_day",
        "forbidden_successions",
        "shift_type_count",
        "worked_minutes",
        "consecutive_working_days",
        "consecutive_days_off",
        "max_working_weekends",
        "days_off",
    }
)
SOFT_FAMILIES = frozenset({"shift_requests"})

#: Larger than any line's cost, far below int64's limit so that sums cannot overflow.
INF = np.int64(2**60)
UNREACHABLE = INF // 2

IntArray = npt.NDArray[np.int64]

#: At most this many states laid out for one problem, summed over the days and the people
#: (``BudgetLines._reach``, about 4 µs and 30 bytes each): past it the listing stops and the
#: exact route is not taken. Reached from the first day, Instance8 has 6.7 million in all
#: (4.6 s; its largest person 1.2 million, where the dense product of the state components,
#: 4.5 million a day, took a 600-s run past 24 GB), Instance10 4.5 million, Instance12 2.1
#: million, Instance7 0.45 million; Instances 13, 15, 18 and 19 pass it (the listing gives up
#: after 4–26 s, the first person of Instance13 alone passing it, at 26 s).
STATES_LIMIT = 8_000_000

# kinds of day for the weekend count
_PLAIN, _WEEKEND_FIRST, _WEEKEND_LATER = 0, 1, 2


class TooManyLines(Exception):
    """More lines within the budget than the caller's limit."""


@dataclass(frozen=True)
class _Rules:
    """One person's hard rules, read from their model's problem."""

    shifts: tuple[str, ...]  # the shift types they may work (option ``s + 1``)
    units: tuple[int, ...]  # each shift's minutes in units of ``unit``
    forbidden: frozenset[tuple[int, int]]  # (option, option) pairs that may not follow
    caps: tuple[int | None, ...]  # per shift, its hard maximum when it can bind
    floors: tuple[int, ...]  # per shift, its hard minimum (0: none)
    minutes: tuple[int, int | None]  # worked minutes' minimum and maximum, in units
    work_run: tuple[int, int | None]  # consecutive working days' minimum and maximum
    off_run: tuple[int, int | None]  # consecutive days off's minimum and maximum
    weekends: int | None  # at most this many weekends worked
    kinds: tuple[int, ...]  # per day, ``_PLAIN`` or a weekend day


@dataclass
class BudgetLines:
    """The states and moves of one person's lines (see the module docstring)."""

    person: Person
    rules: _Rules
    positions: dict[tuple[int, int], int]  # (day, option) -> position in the person's items
    requests: IntArray  # per day and option, what the person's requests charge (unscaled)

    @classmethod
    def of(cls, person: Person, *, limit: int = STATES_LIMIT) -> BudgetLines | None:
        """The lister for ``person``, or None when a rule of theirs is not modelled here or
        their lines pass through more than ``limit`` states (summed over the days)."""
        problem = person.problem
        if problem.history is not None:
            return None
        if problem.reference is not None and any(day in problem.horizon for day in problem.frozen_days):
            return None  # frozen days are fixed in the person's model, not here
        days = person.m.days
        horizon = len(days)
        member = person.member
        # minutes on the clock of the person's unit, as the checker measures them
        zones = {unit.id: unit.timezone for unit in problem.units}
        timezone = (
            zones.get(member.home_unit, problem.horizon.timezone) if member.home_unit else problem.horizon.timezone
        )
        by_id = {shift.id: shift for shift in problem.shift_types}
        counts: dict[str, tuple[int | None, int | None]] = {}
        minutes: tuple[int | None, int | None] = (None, None)
        work_run: tuple[int | None, int | None] = (None, None)
        off_run: tuple[int | None, int | None] = (None, None)
        weekends: int | None = None
        forbidden_rules: list[Rule] = []
        request_weight = 0
        leave = False
        for rule in problem.rules:
            if not rule.scope.covers(member):
                continue  # the checker and the model skip it for this person too
            if not all(rule.in_effect(day) for day in days):
                return None
            family = rule.family
            if family in SOFT_FAMILIES:
                if rule.hard:
                    return None
                request_weight += rule.weight
                continue
            if family not in HARD_FAMILIES or not rule.hard:
                return None
            spec = rule.spec
            if family == "shift_type_count":
                shift = spec.shift  # type: ignore[attr-defined]
                if shift in counts:
                    return None
                counts[shift] = (spec.minimum, spec.maximum)  # type: ignore[attr-defined]
            elif family == "worked_minutes":
                if minutes != (None, None):
                    return None
                minutes = (spec.minimum, spec.maximum)  # type: ignore[attr-defined]
            elif family == "consecutive_working_days":
                if work_run != (None, None):
                    return None
                work_run = (spec.minimum, spec.maximum)  # type: ignore[attr-defined]
            elif family == "consecutive_days_off":
                if off_run != (None, None):
                    return None
                off_run = (spec.minimum, spec.maximum)  # type: ignore[attr-defined]
            elif family == "max_working_weekends":
                if weekends is not None:
                    return None
                weekends = spec.maximum  # type: ignore[attr-defined]
            elif family == "forbidden_successions":
                forbidden_rules.append(rule)
            elif family == "days_off":
                leave = True
        # the shifts this person may work at all: an item somewhere, no maximum of 0
        if len({(item[1], item[2]) for item in person.items}) != len(person.items):
            return None  # two skills for one shift on one day: not a single option
        worked = sorted({item[2] for item in person.items})
        if any(high is not None and (low or 0) > high for low, high in counts.values()):
            return None  # a count rule no roster keeps: CP-SAT says so
        shifts = tuple(shift for shift in worked if counts.get(shift, (None, None))[1] != 0)
        lengths: list[int] = []
        for shift in shifts:
            found = {worked_minutes(by_id[shift], day, timezone) for day in days}
            if len(found) != 1:
                return None
            lengths.append(found.pop())
        unit = max(math.gcd(*lengths), 1)  # gcd() of nothing, or of zeros, is 0
        option = {shift: s + 1 for s, shift in enumerate(shifts)}
        pairs: set[tuple[int, int]] = set()
        for rule in forbidden_rules:
            spec = rule.spec
            assert isinstance(spec, ForbiddenSuccessions)
            for first, second in spec.pairs(problem.shift_types):
                if first in option and second in option:
                    pairs.add((option[first], option[second]))
        caps: list[int | None] = []
        floors: list[int] = []
        for shift in shifts:
            low, high = counts.get(shift, (None, None))
            caps.append(high if high is not None and high < horizon else None)
            floors.append(low or 0)
        low_minutes = -(-(minutes[0] or 0) // unit)
        high_minutes = None if minutes[1] is None else minutes[1] // unit
        kinds = [_PLAIN] * horizon
        index = {day: d for d, day in enumerate(days)}
        for weekend in problem.horizon.weekends():
            for position, day in enumerate(weekend):
                if day in index:
                    kinds[index[day]] = _WEEKEND_FIRST if position == 0 else _WEEKEND_LATER
        # every shift type, so that a request for one this person may not work still charges
        everything = [shift.id for shift in problem.shift_types]
        asked = (
            request_charges(problem, member.id, everything, request_weight)
            if request_weight
            else np.zeros((horizon, len(everything) + 1), dtype=np.int64)
        )
        if asked is None:
            return None  # a request outside the horizon: charged whatever the line
        requests = asked[:, [0, *(everything.index(shift) + 1 for shift in shifts)]]
        off_days = problem.days_off.get(member.id, frozenset()) if leave else frozenset()
        positions = {}
        for position, (_var, d, shift, _skill, _lines) in enumerate(person.items):
            if shift in option and days[d] not in off_days:
                positions[d, option[shift]] = position
        rules = _Rules(
            shifts=shifts,
            units=tuple(length // unit for length in lengths),
            forbidden=frozenset(pairs),
            caps=tuple(caps),
            floors=tuple(floors),
            minutes=(low_minutes, high_minutes),
            work_run=(work_run[0] or 0, work_run[1]),
            off_run=(off_run[0] or 0, off_run[1]),
            weekends=weekends,
            kinds=tuple(kinds),
        )
        lister = cls(person, rules, positions, requests)
        return lister if lister._reach(limit) else None

    def __post_init__(self) -> None:
        rules = self.rules
        self.horizon = len(rules.kinds)
        low_work, high_work = rules.work_run
        low_off, high_off = rules.off_run
        # a run's length stops where no rule reads further
        self._work_cap = high_work if high_work is not None else max(1, low_work)
        self._off_cap = high_off if high_off is not None else max(1, low_off)
        tracked = [s for s, cap in enumerate(rules.caps) if cap is not None or rules.floors[s]]
        self._tracked = tracked
        count_sizes = [max(rules.caps[s] or 0, rules.floors[s]) + 1 for s in tracked]
        low_minutes, high_minutes = rules.minutes
        self._minutes_cap = high_minutes if high_minutes is not None else low_minutes
        weekend_size = (rules.weekends + 1) if rules.weekends is not None else 1
        self.shape = (
            len(rules.shifts) + 1,  # option the day before
            max(self._work_cap, self._off_cap) + 1,  # run length
            2,  # the run began on the first day
            *count_sizes,
            self._minutes_cap + 1,
            weekend_size,
        )
        # before day 0: an off run of no days yet, which touches day 0 (so never too short)
        self.start = int(np.ravel_multi_index((0, 0, 1, *([0] * len(tracked)), 0, 0), self.shape))
        self.nexts: list[list[npt.NDArray[np.int32]]] = []  # per day and option: next state's index, or -1
        self.final: IntArray = np.zeros(0, dtype=np.int64)  # per last state: 0 where a line may end, else INF
        self.reached = 0  # states laid out, summed over the days

    # -- states and moves -------------------------------------------------------------------

    def _final_ok(self, states: IntArray) -> npt.NDArray[np.bool_]:
        """Where a line may end: minutes and shift counts at least their minimum."""
        parts = np.unravel_index(states, self.shape)
        ok = parts[-2] >= self.rules.minutes[0]
        for axis, s in enumerate(self._tracked):
            ok &= parts[3 + axis] >= self.rules.floors[s]
        return np.asarray(ok)

    def moves(self, kind: int, first_day: bool, states: IntArray) -> list[IntArray]:
        """Per option (0 off, ``s + 1`` a shift), each of ``states``' next state on a day of
        ``kind`` (-1: the move breaks a hard rule)."""
        rules = self.rules
        parts = [c.astype(np.int64) for c in np.unravel_index(states, self.shape)]
        before, run, first = parts[0], parts[1], parts[2]
        counts = parts[3 : 3 + len(self._tracked)]
        minutes, weekends = parts[-2], parts[-1]
        low_work, high_work = rules.work_run
        low_off, high_off = rules.off_run
        working = before > 0
        result: list[IntArray] = []
        for option in range(len(rules.shifts) + 1):
            if option == 0:
                # ending a work run needs its minimum unless it touches day 0
                ok = ~working | (run >= low_work) | (first == 1)
                if high_off is not None:
                    ok &= working | (run + 1 <= high_off)
                new_run = np.where(working, 1, np.minimum(run + 1, self._off_cap))
                new_first = np.where(working, 0, first)
                new_counts = counts
                new_minutes = minutes
                new_weekends = weekends
            else:
                s = option - 1
                # ending an off run needs its minimum unless it touches day 0
                ok = working | (run >= low_off) | (first == 1)
                for previous in range(1, len(rules.shifts) + 1):
                    if (previous, option) in rules.forbidden:
                        ok &= before != previous
                if high_work is not None:
                    ok &= ~working | (run + 1 <= high_work)
                new_run = np.where(working, np.minimum(run + 1, self._work_cap), 1)
                new_first = np.where(working, first, 1 if first_day else 0)
                new_counts = []
                for axis, tracked in enumerate(self._tracked):
                    if tracked == s:
                        raised = counts[axis] + 1
                        cap = rules.caps[s]
                        if cap is not None:
                            ok &= raised <= cap
                        new_counts.append(np.minimum(raised, max(cap or 0, rules.floors[s])))
                    else:
                        new_counts.append(counts[axis])
                new_minutes = minutes + rules.units[s]
                if rules.minutes[1] is not None:
                    ok &= new_minutes <= rules.minutes[1]
                new_minutes = np.minimum(new_minutes, self._minutes_cap)
                if kind == _WEEKEND_FIRST:
                    new_weekends = weekends + 1
                elif kind == _WEEKEND_LATER:
                    new_weekends = weekends + np.where(working, 0, 1)
                else:
                    new_weekends = weekends
                if rules.weekends is not None:
                    ok &= new_weekends <= rules.weekends
                else:
                    new_weekends = np.zeros_like(weekends)
            target = np.ravel_multi_index(
                (
                    np.full(len(states), option),
                    new_run,
                    new_first,
                    *new_counts,
                    new_minutes,
                    np.clip(new_weekends, 0, self.shape[-1] - 1),
                ),
                self.shape,
            )
            result.append(np.where(ok, target, -1).astype(np.int64))
        return result

    def _reach(self, limit: int) -> bool:
        """Lay out, day by day from the start, only the states some line reaches through the
        options open per day (off, or a shift the person has an item for): per day and option,
        each state's next state as an index into the next day's states (-1: the move breaks a
        hard rule or the option is closed). False, with nothing laid out, past ``limit``
        states in all."""
        open_options = np.zeros((self.horizon, len(self.rules.shifts) + 1), dtype=bool)
        open_options[:, 0] = True
        for d, option in self.positions:
            open_options[d, option] = True
        layer = np.array([self.start], dtype=np.int64)
        total = 1
        nexts: list[list[npt.NDArray[np.int32]]] = []
        for d in range(self.horizon):
            targets = self.moves(self.rules.kinds[d], d == 0, layer)
            for option, found in enumerate(targets):
                if not open_options[d, option]:
                    found[:] = -1
            following = np.unique(np.concatenate([found[found >= 0] for found in targets]))
            total += len(following)
            if total > limit:
                return False
            nexts.append(
                [np.where(found >= 0, np.searchsorted(following, found), -1).astype(np.int32) for found in targets]
            )
            layer = following
        self.nexts = nexts
        self.final = np.where(self._final_ok(layer), np.int64(0), INF)
        self.reached = total
        return True

    # -- costs, least and lines -------------------------------------------------------------

    def costs(self, charged: Sequence[int], scale: int) -> IntArray:
        """Per day and option, ``scale`` × what the person's requests charge minus the cover's
        ``charged`` per item (positions in ``person.items``); INF where the option is not
        open (a fixed day off, a shift they may not work)."""
        table = np.full(self.requests.shape, INF, dtype=np.int64)
        table[:, 0] = 0
        for (d, option), position in self.positions.items():
            table[d, option] = charged[position]
        open_ = table < UNREACHABLE
        table[open_] += scale * self.requests[open_]
        return table

    def completions(self, table: IntArray) -> list[IntArray]:
        """Per day ``d`` (0 … horizon), each reached state's least cost from day ``d`` to the end."""
        after = self.final
        found = [after]
        for d in range(self.horizon - 1, -1, -1):
            best = np.full(len(self.nexts[d][0]), INF, dtype=np.int64)
            for option, targets in enumerate(self.nexts[d]):
                price = table[d, option]
                if price >= UNREACHABLE:
                    continue
                value = np.where(targets >= 0, after[np.maximum(targets, 0)] + price, INF)
                np.minimum(best, value, out=best)
            best[best >= UNREACHABLE] = INF
            found.append(best)
            after = best
        found.reverse()
        return found

    def ahead(self, table: IntArray) -> list[IntArray]:
        """Per day ``d`` (0 … horizon), each reached state's least cost from the start to day ``d``."""
        found = [np.zeros(1, dtype=np.int64)]
        for d in range(self.horizon):
            following = np.full(
                len(self.nexts[d + 1][0]) if d + 1 < self.horizon else len(self.final), INF, dtype=np.int64
            )
            for option, targets in enumerate(self.nexts[d]):
                price = table[d, option]
                valid = targets >= 0
                if price < UNREACHABLE and valid.any():
                    np.minimum.at(following, targets[valid], found[d][valid] + price)
            found.append(following)
        return found

    def least(self, table: IntArray, after: list[IntArray] | None = None) -> int | None:
        """The person's least line value at ``table`` (None: no line keeps the hard rules)."""
        after = self.completions(table) if after is None else after
        best = int(after[0][0])
        return None if best >= UNREACHABLE else best

    def lines(self, table: IntArray, budget: int, limit: int) -> tuple[int | None, list[tuple[tuple[int, ...], int]]]:
        """The least value (None: no line keeps the hard rules) and every line within
        ``budget`` of it, as (positions in the person's items, value), cheapest first; raises
        ``TooManyLines`` past ``limit``."""
        after = self.completions(table)
        least = self.least(table, after)
        if least is None:
            return None, []
        ceiling = least + budget
        horizon = self.horizon
        options = range(len(self.rules.shifts) + 1)
        # a state on no line within the ceiling is dropped before the walk, which reads Python lists
        ahead = self.ahead(table)
        kept = [ahead[d] + after[d] <= ceiling for d in range(horizon + 1)]
        renumbered = []
        for alive in kept:
            index = np.full(len(alive), -1, dtype=np.int64)
            index[alive] = np.arange(int(alive.sum()))
            renumbered.append(index)
        plans = []
        for d in range(horizon):
            day = []
            for option in options:
                targets = self.nexts[d][option][kept[d]].astype(np.int64)
                day.append(np.where(targets >= 0, renumbered[d + 1][np.maximum(targets, 0)], -1).tolist())
            plans.append(day)
        rest = [after[d][kept[d]].tolist() for d in range(1, horizon + 1)]  # rest[d]: from day d + 1
        prices = table.tolist()
        found: list[tuple[tuple[int, ...], int]] = []
        path: list[int] = []
        positions = self.positions

        def walk(d: int, state: int, cost: int) -> None:
            if d == horizon:
                line = tuple(positions[day, option] for day, option in enumerate(path) if option)
                found.append((line, cost))
                if len(found) > limit:
                    raise TooManyLines(f"{self.person.member.id}: more than {limit} lines within {budget}")
                return
            moves, after_day, price_day = plans[d], rest[d], prices[d]
            for option in options:
                target = moves[option][state]
                if target < 0:
                    continue
                value = cost + price_day[option]
                if value + after_day[target] <= ceiling:
                    path.append(option)
                    walk(d + 1, target, value)
                    path.pop()

        walk(0, 0, 0)
        found.sort(key=lambda pair: pair[1])
        return least, found


# -- the master over every line within the budget ---------------------------------------------


@dataclass(frozen=True)
class Share:
    """One cover row of the master as the certificate sees it: the cover line it counts
    (``line``), ``under`` (``count + slack >= level``) or ``over``, the slack's price per
    person (scaled) and the row's multiplier. Its share of a roster, ``scale × weight ×
    slack + multiplier × (count − level)``, is never negative (the multiplier lies within
    the slack's price) and is 0 at ``count == level``."""

    line: int
    kind: str
    level: int
    price: int
    multiplier: int


@dataclass(frozen=True)
class Master:
    """What one exact master did: its ``status`` (CP-SAT's, or ``TOO_MANY`` when the
    lines were more than the limit), the lines listed, the roster found (positions in
    each person's items) and the seconds spent listing and solving."""

    status: str
    listed: int
    roster: dict[str, tuple[int, ...]] | None
    list_s: float
    solve_s: float
    distance: int | None = None  # the roster's distance from the certificate (scaled), when known


def exact_master(
    listers: dict[str, BudgetLines],
    tables: dict[str, IntArray],
    least: dict[str, int],
    shares: Sequence[Share],
    budget: int,
    deadline: float,
    *,
    limit: int,
    workers: int,
    seed: int,
) -> Master:
    """The cheapest roster whose lines' distances from their people's least plus the cover
    rows' shares stay within ``budget`` (scaled), over every such line: exact, so
    ``INFEASIBLE`` proves that no roster lies within the budget. ``tables`` are the people's
    costs per day and option at the certificate's multipliers, ``least`` their least values
    (a lister that disagrees reads a rule otherwise than the model: ``MISMATCH``, no proof).

    CP-SAT over one table constraint a person (a variable a day, its option, and the line's
    distance), the cover counted from the day variables: on Curtois Instance6, 83 566 lines
    and solved to optimality in 2 s, where SCIP over a variable a line took 85 s."""
    started = time.monotonic()
    listed: dict[str, list[tuple[tuple[int, ...], int]]] = {}
    total = 0
    for staff_id, lister in listers.items():
        try:
            lowest, lines = lister.lines(tables[staff_id], budget, limit - total)
        except TooManyLines:
            return Master("TOO_MANY", total, None, time.monotonic() - started, 0.0)
        if lowest != least[staff_id]:  # a rule the labelling reads otherwise than the model: no proof
            return Master("MISMATCH", total, None, time.monotonic() - started, 0.0)
        listed[staff_id] = lines
        total += len(lines)
    list_s = time.monotonic() - started
    if time.monotonic() >= deadline:
        return Master("UNKNOWN", total, None, list_s, 0.0)
    quantum = 0
    for staff_id, lines in listed.items():
        for _line, value in lines:
            quantum = math.gcd(quantum, value - least[staff_id])
    quantum = max(quantum, 1)
    model = cp_model.CpModel()
    counted: dict[int, list[cp_model.IntVar]] = {}
    days_of: dict[str, list[cp_model.IntVar]] = {}
    distances = []
    for staff_id, lines in listed.items():
        lister = listers[staff_id]
        options = len(lister.rules.shifts) + 1
        table = tables[staff_id]
        items = lister.person.items
        days = []
        for d in range(lister.horizon):
            open_options = [o for o in range(options) if table[d, o] < UNREACHABLE]
            day = model.new_int_var_from_domain(cp_model.Domain.from_values(open_options), f"{staff_id}[{d}]")
            days.append(day)
            for option in open_options:
                if option == 0:
                    continue
                chosen = model.new_bool_var(f"{staff_id}[{d}]={option}")
                model.add(day == option).only_enforce_if(chosen)
                model.add(day != option).only_enforce_if(~chosen)
                for index in items[lister.positions[d, option]][4]:
                    counted.setdefault(index, []).append(chosen)
        distance = model.new_int_var(0, budget // quantum, f"distance[{staff_id}]")
        day_option = {position: (d, option) for (d, option), position in lister.positions.items()}
        tuples = []
        for line, value in lines:
            row = [0] * lister.horizon
            for position in line:
                d, option = day_option[position]
                row[d] = option
            tuples.append([*row, (value - least[staff_id]) // quantum])
        model.add_allowed_assignments([*days, distance], tuples)
        days_of[staff_id] = days
        distances.append(distance)
    parts = []
    for position, share in enumerate(shares):
        count = cp_model.LinearExpr.sum(counted.get(share.line, []))
        paid = model.new_int_var(0, budget, f"share[{position}]")
        model.add(paid >= share.multiplier * (count - share.level))
        if share.kind == "under":
            model.add(paid >= (share.price - share.multiplier) * (share.level - count))
        else:
            model.add(paid >= (share.price + share.multiplier) * (count - share.level))
        parts.append(paid)
    objective = cp_model.LinearExpr.sum([quantum * cp_model.LinearExpr.sum(distances), *parts])
    model.add(objective <= budget)
    model.minimize(objective)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    solver.parameters.max_time_in_seconds = max(0.05, deadline - time.monotonic())
    solved = time.monotonic()
    status = solver.solve(model)
    solve_s = time.monotonic() - solved
    name = solver.status_name(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Master(name, total, None, list_s, solve_s)
    roster = {}
    for staff_id, days in days_of.items():
        lister = listers[staff_id]
        roster[staff_id] = tuple(
            lister.positions[d, option] for d, day in enumerate(days) if (option := solver.value(day))
        )
    return Master(name, total, roster, list_s, solve_s)


def flow_master(
    listers: dict[str, BudgetLines],
    tables: dict[str, IntArray],
    least: dict[str, int],
    shares: Sequence[Share],
    budget: int,
    cap: int,
    deadline: float,
    *,
    seed: int = 0,
) -> Master:
    """A roster whose distance from the certificate (people's distances from their least
    plus the cover rows' shares, scaled) is at most ``cap``, the first HiGHS finds before
    ``deadline``, over the arcs of every line within ``budget``: a binary an arc (a day, a
    state, an option, the next state) that lies on some person's line within the budget,
    a path a person from the start to a state a line may end in, the cover counted from the
    arcs. Paths through kept arcs may cost more than the budget, so where the table master
    (``exact_master``) proves no roster within a budget, this one can still hold the
    cheapest roster just above it (ADR 0003, twenty-first round: Curtois Instance7's
    optimum, 1056, over the arcs of the budget 1055 proven empty). ``cap`` is HiGHS's
    objective bound, not a row: a dense row of every arc kept its search from the roster for
    a minute where the bound takes 18 s. The bound prunes HiGHS's search but does not filter
    what it returns, so a roster is returned only when its own ``distance`` (its arcs' prices
    and its cover shares at their least) is within ``cap`` (else ``ABOVE_CAP``). It proves
    nothing: with no roster here, rosters off the arcs remain possible."""
    started = time.monotonic()
    costs: list[float] = []  # per column: the arcs (binary) first, then each share's paid amount
    rows: list[tuple[float, float, list[int], list[float]]] = []
    counted: dict[int, list[int]] = {}
    arcs: dict[str, list[tuple[int, int, int]]] = {}  # per person: (day, option, column)
    for staff_id, lister in listers.items():
        table = tables[staff_id]
        after = lister.completions(table)
        ahead = lister.ahead(table)
        ceiling = least[staff_id] + budget
        kept = [ahead[d] + after[d] <= ceiling for d in range(lister.horizon + 1)]
        inflow: dict[int, list[int]] = {0: []}
        mine: list[tuple[int, int, int]] = []
        for d in range(lister.horizon):
            outflow: dict[int, list[int]] = {}
            following: dict[int, list[int]] = {}
            alive = np.flatnonzero(kept[d])
            for option, targets in enumerate(lister.nexts[d]):
                price = int(table[d, option])
                if price >= UNREACHABLE:
                    continue
                moved = targets[alive].astype(np.int64)
                valid = moved >= 0
                sources, sinks = alive[valid], moved[valid]
                within = kept[d + 1][sinks] & (ahead[d][sources] + price + after[d + 1][sinks] <= ceiling)
                lines_of = lister.person.items[lister.positions[d, option]][4] if option else ()
                for source, sink in zip(sources[within].tolist(), sinks[within].tolist(), strict=True):
                    column = len(costs)
                    costs.append(float(price))
                    outflow.setdefault(source, []).append(column)
                    following.setdefault(sink, []).append(column)
                    mine.append((d, option, column))
                    for line in lines_of:
                        counted.setdefault(line, []).append(column)
            for state, leaving in outflow.items():
                # what enters a state leaves it; one path leaves the start
                entering = inflow.get(state, []) if d else []
                level = 0.0 if d else 1.0
                rows.append((level, level, [*leaving, *entering], [1.0] * len(leaving) + [-1.0] * len(entering)))
            for state, entering in inflow.items():
                if d and state not in outflow:  # a dead end: nothing may enter it
                    rows.extend((0.0, 0.0, [column], [1.0]) for column in entering)
            inflow = following
        arcs[staff_id] = mine
    listed = len(costs)
    for share in shares:
        paid = len(costs)
        costs.append(1.0)
        slopes = (share.multiplier, _below(share))
        count = counted.get(share.line, [])
        for slope in slopes:  # paid >= slope × (count − level)
            rows.append((-float(slope * share.level), math.inf, [paid, *count], [1.0] + [-float(slope)] * len(count)))
    highs = _highs()
    options = {
        "output_flag": False,
        "random_seed": seed,
        "time_limit": max(0.01, deadline - time.monotonic()),
        "objective_bound": float(cap + sum(least.values())),
        "mip_max_improving_sols": 1,  # the first roster within the cap is what the caller wants
    }
    for name, value in options.items():
        highs.setOptionValue(name, value)
    kind = (np.arange(len(costs)) < listed).astype(np.uint8)  # 1: integral
    highs.addVars(len(costs), np.zeros(len(costs)), np.where(kind == 1, 1.0, math.inf))
    highs.changeColsCost(len(costs), np.arange(len(costs), dtype=np.int32), np.array(costs))
    highs.changeColsIntegrality(len(costs), np.arange(len(costs), dtype=np.int32), kind)
    starts = np.cumsum([0] + [len(row[2]) for row in rows[:-1]]).astype(np.int32)
    highs.addRows(
        len(rows),
        np.array([row[0] for row in rows]),
        np.array([row[1] for row in rows]),
        int(sum(len(row[2]) for row in rows)),
        starts,
        np.array([column for row in rows for column in row[2]], dtype=np.int32),
        np.array([value for row in rows for value in row[3]]),
    )
    built = time.monotonic()
    highs.run()
    solve_s = time.monotonic() - built
    values = np.asarray(highs.getSolution().col_value)
    status = highs.getModelStatus()
    found = len(values) == len(costs) and highs.getInfo().primal_solution_status == 2  # feasible
    name = "OPTIMAL" if status == highspy.HighsModelStatus.kOptimal and found else "FEASIBLE" if found else "UNKNOWN"
    if status == highspy.HighsModelStatus.kInfeasible:
        name = "INFEASIBLE"
    if not found:
        return Master(name, listed, None, built - started, solve_s)
    # the roster's own distance, its shares at their least: HiGHS may stop at a first roster
    # above the objective bound (the bound prunes its search, it does not filter what it returns)
    chosen = values[:listed] > 0.5
    distance = round(float(np.dot(chosen, costs[:listed]))) - sum(least.values())
    for share in shares:
        over = int(sum(chosen[column] for column in counted.get(share.line, []))) - share.level
        distance += max(0, share.multiplier * over, _below(share) * over)
    if distance > cap:
        return Master("ABOVE_CAP", listed, None, built - started, solve_s, distance)
    roster = {}
    for staff_id, mine in arcs.items():
        positions = listers[staff_id].positions
        taken = sorted((d, option) for d, option, column in mine if option and chosen[column])
        roster[staff_id] = tuple(positions[d, option] for d, option in taken)
    return Master(name, listed, roster, built - started, solve_s, distance)


def _below(share: Share) -> int:
    """The slope of a cover row's share on the side its slack pays: ``share >= slope × (count
    − level)`` holds with ``share.multiplier`` and with this one."""
    return share.multiplier - share.price if share.kind == "under" else share.price + share.multiplier


def _highs() -> highspy.Highs:
    """A HiGHS instance; the first one a process makes prints HiGHS's banner on standard
    output, which would break ``careshift bench --json``: it goes to standard error."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        return highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
