"""Labelling pricing: a person's cheapest line by dynamic programming over the days.

Column generation (``engine.columns``) prices every person every round: their cheapest line
at the master's duals. CP-SAT does that in 30–50 ms a person on Curtois, but 0.1–2 s on an
INRC-II nurse, whose soft rules are runs (consecutive working days, days off, same shift),
counts (total assignments, working weekends), complete weekends and shift-off requests (ADR
0003, seventh round). Those rules read a day at a time, so the cheapest line is a shortest
path through states that remember just enough of the past:

* the shift worked the day before (or off), and the current work, same-shift and off runs;
* the assignments and the working weekends so far (history included).

Every counter stops at the largest bound any rule compares it with: beyond that, one more
day changes nothing but "one more unit over the maximum", which is charged as it happens
(the checker's ``length - maximum``, summed day by day, including the border rule that a
run continuing from history is charged only for what it adds). A run too short is charged
when it ends (never at the end of the horizon, as the checker). Forbidden successions remove
transitions; the history's last shift and counters are the first state.

The transitions are built once per person as arrays (every state × every action: off or a
shift) and each day is one gather and one ``minimum.reduceat`` in numpy: a few milliseconds a
person on a 4-week INRC-II instance. The path back is read from the stored values, over the
same arrays, so forward and backward cannot disagree. Costs are integers (scaled by the
caller, as the CP-SAT pricing), so the optimum is exact and proves the Lagrangian bound just
as a CP-SAT optimum does.

``SequencePricer.of`` returns None for a person with any rule this does not model (another
family, a rule in effect for part of the horizon, two rules of one family, no history):
their pricing stays with CP-SAT.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from careshift.domain.problem import RosterProblem
from careshift.domain.rules.base import Rule
from careshift.domain.rules.rest import ForbiddenSuccessions
from careshift.engine.lines import Person

#: Families the labelling models: soft runs, counts, weekends and requests; hard one shift a
#: day, successions and skills (the last by the person's ``items``, which hold only their skills).
SOFT_FAMILIES = frozenset(
    {
        "consecutive_working_days",
        "consecutive_days_off",
        "consecutive_same_shift",
        "assignment_count",
        "max_working_weekends",
        "complete_weekends",
        "shift_requests",
    }
)
HARD_FAMILIES = frozenset({"one_shift_per_day", "forbidden_successions", "skill_required"})

#: Larger than any path's cost; kept far below int64's limit so sums cannot overflow.
INF = np.int64(2**60)
#: Any value from here up is unreachable (INF with charges added; a real path's cost, at
#: most a few billion per day even with the hard rows' multipliers, stays far below).
UNREACHABLE = INF // 2

IntArray = npt.NDArray[np.int64]

# day roles for the weekend rules
_PLAIN, _SUNDAY, _LONE = 0, 1, 2


@dataclass(frozen=True)
class Bounds:
    """One rule's ``[minimum, maximum]`` and its weight (0: no such rule)."""

    minimum: int | None = None
    maximum: int | None = None
    weight: int = 0

    def cap(self) -> int:
        """The largest count the rule compares with (at least 1, so a state still says "in a run")."""
        return max(1, self.minimum or 0, self.maximum or 0) if self.weight else 1

    def short(self, length: IntArray) -> IntArray:
        """What a run of ``length`` (0: no run) is charged when it ends."""
        if not self.weight or self.minimum is None:
            return np.zeros_like(length)
        return np.where(length > 0, self.weight * np.maximum(0, self.minimum - length), 0)

    def over(self, count: IntArray) -> IntArray:
        """What reaching ``count`` (the day just added included) is charged beyond the maximum."""
        if not self.weight or self.maximum is None:
            return np.zeros_like(count)
        return np.where(count > self.maximum, self.weight, 0)


@dataclass(frozen=True)
class HistoryRun:
    """A same-shift maximum only the run carried over from history can pass (INRC-II's "at
    most 56 Early shifts in a row" over 8 weeks, for a nurse who ended the history on Early
    shifts). A counter up to the maximum would make the states ten times as many, so the
    states stop at the minimum and the run is followed by a chain beside them instead: one
    state a day for "the history's shift worked every day so far", whose every other state
    component is then known. Staying on the chain pays the maximum's charge; any other
    action leaves it for the ordinary state it lands in (see ``SequencePricer._chain``)."""

    shift: int  # the action number of the shift (``s + 1``)
    carried: int  # the run's length in the history
    maximum: int
    weight: int

    def over(self, day: int) -> int:
        """What working the shift on ``day`` (from 0) as part of the run charges (unscaled):
        one ``weight`` once the run passes the maximum; the days in history are not charged."""
        return self.weight if self.carried + day + 1 > self.maximum else 0


@dataclass(frozen=True)
class _Link:
    """One day of the history's run (``HistoryRun``): the ordinary state it stands for, what
    staying on the run costs (scaled; None: the shift cannot follow itself), and each other
    action's (action, ordinary target, scaled cost)."""

    state: int
    stay: int | None
    leave: tuple[tuple[int, int, int], ...]


@dataclass(frozen=True)
class _Edges:
    """Every transition of one day role, sorted by target state: ``starts`` are the
    positions where each target in ``targets`` begins, ``actions`` the action that enters
    each target (a state says what was done on its day)."""

    source: IntArray
    action: IntArray
    cost: IntArray
    target: IntArray
    targets: IntArray
    starts: IntArray
    actions: IntArray


class SequencePricer:
    """The labelling pricing of one person (see the module docstring); ``of`` builds it."""

    def __init__(
        self,
        person: Person,
        *,
        scale: int,
        work: Bounds,
        off: Bounds,
        same: dict[str, Bounds],
        total: Bounds,
        weekends: Bounds,
        complete: int,
        forbidden: frozenset[tuple[str, str]],
        requests: IntArray,
        start: tuple[int, int, int, int, int, int, int],
        constant: int,
        history_run: HistoryRun | None = None,
    ) -> None:
        self.person = person
        self.scale = scale
        self._shifts = [shift.id for shift in person.problem.shift_types]
        days = len(person.m.days)
        self._days = days
        self._work, self._off, self._total, self._weekends = work, off, total, weekends
        self._same = [same.get(shift, Bounds()) for shift in self._shifts]
        self._complete = complete
        self._forbidden = forbidden
        self._requests = requests  # per day and action: what the requests charge (unscaled)
        self._constant = constant  # what history alone already costs (unscaled)
        self.history_run = history_run
        # counters stop at their caps
        self._caps = (
            off.cap(),
            work.cap(),
            max(bounds.cap() for bounds in self._same) if self._same else 1,
            max(total.minimum or 0, total.maximum or 0) if total.weight else 0,
            (weekends.maximum or 0) if weekends.weight else 0,
        )
        oc, wc, mc, nc, kc = self._caps
        # the (work run, same-shift run) pairs a work state can hold: both at least 1, and the
        # same-shift run no longer than the work run unless the work run is held at its cap
        self._pair = np.full((wc + 1, mc + 1), -1, dtype=np.int64)
        pairs = [(w, m) for w in range(1, wc + 1) for m in range(1, mc + 1) if m <= w or w == wc]
        for number, (w, m) in enumerate(pairs):
            self._pair[w, m] = number
        self._pairs = np.array(pairs, dtype=np.int64).reshape(-1, 2)
        self._off_states = (oc + 1) * (nc + 1) * (kc + 1)
        self._states = self._off_states + len(self._shifts) * len(pairs) * (nc + 1) * (kc + 1)
        kind, shift, w, m, o, n, k = start  # history's counters, held at the caps
        held = (kind, shift, min(w, wc), min(m, mc), min(o, oc), min(n, nc), min(k, kc))
        if kind and self._pair[held[2], held[3]] < 0:
            raise ValueError(f"history of {person.member.id}: a same-shift run longer than the work run")
        self._start = int(self._index(*(np.array(value) for value in held)))
        # positions in ``items`` per (day, shift)
        self._items: dict[tuple[int, int], list[int]] = {}
        shift_index = {shift: index for index, shift in enumerate(self._shifts)}
        for position, item in enumerate(person.items):
            self._items.setdefault((item[1], shift_index[item[2]]), []).append(position)
        roles = [_PLAIN] * days
        for weekend in person.problem.horizon.weekends():
            last = person.problem.horizon.index(weekend[-1])
            roles[last] = _SUNDAY if len(weekend) == 2 else _LONE
        self._roles = roles
        self._table = self._all_states()
        self._edges = {role: self._transitions(role) for role in set(roles)}
        self._final = self.scale * self._final_costs()
        self._links = self._chain() if history_run is not None else []

    # -- states -------------------------------------------------------------------------------

    def _index(
        self, kind: IntArray, shift: IntArray, w: IntArray, m: IntArray, o: IntArray, n: IntArray, k: IntArray
    ) -> IntArray:
        """Flat state numbers: off states first (``o``, ``n``, ``k``), then work states
        (``shift``, the pair ``w``, ``m``, then ``n``, ``k``)."""
        oc, wc, mc, nc, kc = self._caps
        off = (o * (nc + 1) + n) * (kc + 1) + k
        pair = self._pair[w, m]
        work = self._off_states + ((shift * len(self._pairs) + pair) * (nc + 1) + n) * (kc + 1) + k
        return np.where(kind == 0, off, work).astype(np.int64)

    def _all_states(self) -> tuple[IntArray, ...]:
        """Every state's (kind, shift, w, m, o, n, k), in the order of ``_index``."""
        oc, wc, mc, nc, kc = self._caps
        o, n, k = (
            a.ravel() for a in np.meshgrid(np.arange(oc + 1), np.arange(nc + 1), np.arange(kc + 1), indexing="ij")
        )
        off = (np.zeros_like(o), np.full_like(o, -1), np.zeros_like(o), np.zeros_like(o), o, n, k)
        grids = np.meshgrid(
            np.arange(len(self._shifts)),
            np.arange(len(self._pairs)),
            np.arange(nc + 1),
            np.arange(kc + 1),
            indexing="ij",
        )
        t, pair, n2, k2 = (a.ravel() for a in grids)
        w, m = self._pairs[pair, 0], self._pairs[pair, 1]
        work = (np.ones_like(t), t, w, m, np.zeros_like(t), n2, k2)
        return tuple(np.concatenate([a, b]).astype(np.int64) for a, b in zip(off, work, strict=True))

    def _transitions(self, role: int) -> _Edges:
        """Every (state, action) of a day with ``role``: the next state and what the rules
        charge for it (scaled)."""
        oc, wc, mc, nc, kc = self._caps
        kind, shift, w, m, o, n, k = self._table
        worked_before = kind == 1
        same_min = np.array([b.minimum or 0 for b in self._same] or [0])
        same_weight = np.array([b.weight if b.minimum is not None else 0 for b in self._same] or [0])
        # what ending the same-shift run of the shift worked the day before costs
        safe_shift = np.maximum(shift, 0)
        same_short = np.where(
            worked_before & (m > 0), same_weight[safe_shift] * np.maximum(0, same_min[safe_shift] - m), 0
        )
        sources, actions, costs, targets = [], [], [], []
        # off
        cost = np.where(worked_before, self._work.short(w) + same_short, 0)
        o_next = np.where(worked_before, 1, o + 1)
        cost = cost + self._off.over(o_next)
        k_next, weekend_cost = self._weekend(k, worked_before, np.zeros_like(worked_before), role)
        target = self._index(np.zeros_like(kind), shift, w * 0, m * 0, np.minimum(o_next, oc), n, k_next)
        sources.append(np.arange(len(kind)))
        actions.append(np.zeros_like(kind))
        costs.append(cost + weekend_cost)
        targets.append(target)
        # each shift
        for s, name in enumerate(self._shifts):
            allowed = np.ones_like(worked_before)
            for t, before in enumerate(self._shifts):
                if (before, name) in self._forbidden:
                    allowed &= ~(worked_before & (shift == t))
            cost = np.where(worked_before, 0, self._off.short(o))
            w_next = np.where(worked_before, w + 1, 1)
            cost = cost + self._work.over(w_next)
            same_run = worked_before & (shift == s)
            cost = cost + np.where(worked_before & ~same_run, same_short, 0)
            m_next = np.where(same_run, m + 1, 1)
            cost = cost + self._same[s].over(m_next)
            n_next = n + 1
            cost = cost + self._total.over(n_next)
            k_next, weekend_cost = self._weekend(k, worked_before, np.ones_like(worked_before), role)
            target = self._index(
                np.ones_like(kind),
                np.full_like(kind, s),
                np.minimum(w_next, wc),
                np.minimum(m_next, mc),
                o * 0,
                np.minimum(n_next, nc),
                k_next,
            )
            sources.append(np.arange(len(kind))[allowed])
            actions.append(np.full(int(allowed.sum()), s + 1))
            costs.append((cost + weekend_cost)[allowed])
            targets.append(target[allowed])
        source = np.concatenate(sources).astype(np.int64)
        action = np.concatenate(actions).astype(np.int64)
        cost = np.concatenate(costs).astype(np.int64)
        target = np.concatenate(targets).astype(np.int64)
        order = np.argsort(target, kind="stable")
        source, action, cost, target = source[order], action[order], cost[order], target[order]
        unique, starts = np.unique(target, return_index=True)
        return _Edges(
            source, action, self.scale * cost, target, unique.astype(np.int64), starts.astype(np.int64), action[starts]
        )

    def _weekend(self, k: IntArray, saturday: IntArray, today: IntArray, role: int) -> tuple[IntArray, IntArray]:
        """The weekend count after a day of ``role`` and what the weekend rules charge."""
        kc = self._caps[4]
        if role == _PLAIN:
            return k, np.zeros_like(k)
        worked = (saturday | today) if role == _SUNDAY else today
        k_next = np.where(worked, k + 1, k)
        cost = np.where(worked, self._weekends.over(k_next), 0)
        if role == _SUNDAY and self._complete:
            cost = cost + np.where(saturday != today, self._complete, 0)
        return np.minimum(k_next, kc), cost

    def _final_costs(self) -> IntArray:
        """What each end state still owes: assignments under the minimum."""
        *_, n, _k = self._table
        if not self._total.weight or self._total.minimum is None:
            return np.zeros(self._states, dtype=np.int64)
        return (self._total.weight * np.maximum(0, self._total.minimum - n)).astype(np.int64)

    def _chain(self) -> list[_Link]:
        """The history's run a day at a time (``HistoryRun``), from the first state."""
        assert self.history_run is not None
        run = self.history_run.shift
        links: list[_Link] = []
        state: int | None = self._start
        for d in range(self._days):
            if state is None:
                break
            edges = self._edges[self._roles[d]]
            out = np.nonzero(edges.source == state)[0]
            stay, following, leave = None, None, []
            for edge in out:
                action, target, cost = int(edges.action[edge]), int(edges.target[edge]), int(edges.cost[edge])
                if action == run:
                    stay, following = cost + self.scale * self.history_run.over(d), target
                else:
                    leave.append((action, target, cost))
            links.append(_Link(state, stay, tuple(leave)))
            state = following
        if state is not None:
            links.append(_Link(state, None, ()))  # the run kept to the end
        return links

    # -- pricing ------------------------------------------------------------------------------

    def price(self, charged: Sequence[int], *, lines: int = 3) -> list[tuple[tuple[int, ...], int, int]]:
        """The person's cheapest lines at ``charged`` (per position in ``items``: what the
        cover adds, already scaled), cheapest first: (positions worked, what their own rules
        charge, ``scale`` × that plus the cover's charges). The first is the optimum; up to
        ``lines − 1`` more end in other states (other totals or weekends), for the master."""
        charged_items = np.asarray(charged, dtype=np.int64)
        shifts = len(self._shifts)
        cover = np.full((self._days, shifts + 1), INF, dtype=np.int64)
        cover[:, 0] = 0
        best_item: dict[tuple[int, int], int] = {}
        for (d, s), positions in self._items.items():
            chosen = min(positions, key=lambda position: charged_items[position])
            best_item[(d, s)] = chosen
            cover[d, s + 1] = charged_items[chosen]
        action_cost = np.minimum(self.scale * self._requests + cover, INF)
        values = [np.full(self._states, INF, dtype=np.int64)]
        # the history's run, if followed, stands beside the states: its value a day
        chain = [int(INF)] * (self._days + 1)
        if self._links:
            chain[0] = self.scale * self._constant
        else:
            values[0][self._start] = self.scale * self._constant
        for d in range(self._days):
            edges = self._edges[self._roles[d]]
            candidate = values[-1][edges.source] + edges.cost
            following = np.full(self._states, INF, dtype=np.int64)
            # the day's action is the target's, so its charge is added once per target
            following[edges.targets] = np.minimum.reduceat(candidate, edges.starts) + action_cost[d, edges.actions]
            if d < len(self._links) and chain[d] < UNREACHABLE:
                link = self._links[d]
                for action, target, cost in link.leave:
                    following[target] = min(following[target], chain[d] + cost + action_cost[d, action])
                if link.stay is not None:
                    chain[d + 1] = chain[d] + link.stay + int(action_cost[d, self._links_shift])
            # unreachable stays unreachable: INF plus a negative charge is still INF
            following[following >= UNREACHABLE] = INF
            values.append(following)
            if chain[d + 1] >= UNREACHABLE:
                chain[d + 1] = int(INF)
        final = values[-1] + self._final
        final[final >= UNREACHABLE] = INF
        ends = [(int(final[end]), int(end)) for end in np.argsort(final, kind="stable")[: max(1, lines)]]
        if len(self._links) > self._days and chain[-1] < UNREACHABLE:
            ends.append((chain[-1] + int(self._final[self._links[-1].state]), -1))  # -1: the run kept to the end
        found: list[tuple[tuple[int, ...], int, int]] = []
        for value, end in sorted(ends)[: max(1, lines)]:
            if value >= UNREACHABLE:
                break
            path = self._path(values, chain, action_cost, end)
            line = tuple(sorted(best_item[(d, a - 1)] for d, a in enumerate(path) if a > 0))
            paid = sum(int(cover[d, a]) for d, a in enumerate(path))
            own, remainder = divmod(value - paid, self.scale)
            if remainder:
                raise AssertionError(f"labelling pricing of {self.person.member.id}: cost not a multiple of scale")
            found.append((line, own, value))
        return found

    @property
    def _links_shift(self) -> int:
        return self.history_run.shift if self.history_run is not None else 0

    def _path(self, values: list[IntArray], chain: list[int], action_cost: IntArray, end: int) -> list[int]:
        """The actions (0 off, ``s + 1`` shift ``s``) of a cheapest path to ``end`` (-1: the
        history's run kept to the end)."""
        path = [self._links_shift] * self._days
        if end < 0:
            return path
        state = end
        for d in range(self._days - 1, -1, -1):
            edges = self._edges[self._roles[d]]
            slot = int(np.searchsorted(edges.targets, state))
            begin = int(edges.starts[slot])
            stop = int(edges.starts[slot + 1]) if slot + 1 < len(edges.starts) else len(edges.source)
            source = edges.source[begin:stop]
            action = edges.action[begin:stop]
            candidate = values[d][source] + edges.cost[begin:stop] + action_cost[d, action]
            chosen = int(np.argmin(candidate))
            if candidate[chosen] == values[d + 1][state]:
                path[d] = int(action[chosen])
                state = int(source[chosen])
                continue
            # reached from the history's run: every day before ``d`` worked its shift
            if d < len(self._links) and chain[d] < UNREACHABLE:
                for leaving, target, cost in self._links[d].leave:
                    if target == state and chain[d] + cost + action_cost[d, leaving] == values[d + 1][state]:
                        path[d] = leaving
                        return path
            raise AssertionError(f"labelling pricing of {self.person.member.id}: no way back on day {d}")
        return path

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def of(cls, person: Person, *, scale: int) -> SequencePricer | None:
        """The labelling pricing of ``person``, or None when their rules need CP-SAT."""
        problem = person.problem
        member = person.member
        history = problem.history_of(member.id)
        if history is None:
            return None
        if problem.reference is not None and any(day in problem.horizon for day in problem.frozen_days):
            return None  # frozen days are fixed in the person's model, not here
        days = len(problem.horizon.days)
        rules = [rule for rule in problem.rules if rule.scope.covers(member)]
        if any(not _plain(rule) for rule in rules):
            return None
        by_family: dict[str, list[Rule]] = {}
        for rule in rules:
            by_family.setdefault(rule.family, []).append(rule)
        shifts = [shift.id for shift in problem.shift_types]
        same: dict[str, Bounds] = {}
        history_run = None
        for rule in by_family.get("consecutive_same_shift", []):
            shift = getattr(rule.spec, "shift", "")
            if shift in same:
                return None
            carried = history.consecutive_same_shift if history.last_shift == shift else 0
            same[shift] = _bounds(rule, reach=days)  # a run inside the horizon cannot pass ``days``
            maximum = getattr(rule.spec, "maximum", None)
            if maximum is not None and days <= maximum < days + carried and shift in shifts:
                history_run = HistoryRun(shifts.index(shift) + 1, carried, maximum, rule.weight)
        reach = {
            "consecutive_working_days": days + history.consecutive_work_days,
            "consecutive_days_off": days + history.consecutive_days_off,
            "assignment_count": days + history.total_assignments,
            "max_working_weekends": len(problem.horizon.weekends()) + history.total_working_weekends,
        }
        single = {}
        for family, most in reach.items():
            found = by_family.get(family, [])
            if len(found) > 1:
                return None
            single[family] = _bounds(found[0], reach=most) if found else Bounds()
            spec = found[0].spec if found else None
            low, high = getattr(spec, "minimum", None), getattr(spec, "maximum", None)
            if low is not None and high is not None and low > high:
                return None  # the checker charges one side of an inverted range; the states charge both
        if len(by_family.get("complete_weekends", [])) > 1 or len(by_family.get("shift_requests", [])) > 1:
            return None
        complete = sum(rule.weight for rule in by_family.get("complete_weekends", []))
        forbidden: set[tuple[str, str]] = set()
        for rule in by_family.get("forbidden_successions", []):
            if isinstance(rule.spec, ForbiddenSuccessions):
                forbidden.update(rule.spec.pairs(problem.shift_types))
        asked = by_family.get("shift_requests", [])
        requests = (
            request_charges(problem, member.id, shifts, sum(rule.weight for rule in asked))
            if asked
            else np.zeros((len(problem.horizon.days), len(shifts) + 1), dtype=np.int64)
        )
        if requests is None:
            return None  # a request charged whatever the line (the checker's reading): left to CP-SAT
        # the first state, from history (the counters as the checker reads them)
        if history.last_shift is not None and history.last_shift in shifts:
            if history.consecutive_days_off:
                return None  # a run of days off and of work both open: not one state
            if not 1 <= history.consecutive_same_shift <= history.consecutive_work_days:
                return None  # runs the states cannot hold (the same shift run outlasting the work)
            kind, shift = 1, shifts.index(history.last_shift)
        else:
            if history.consecutive_work_days or history.consecutive_same_shift:
                return None
            kind, shift = 0, 0
        total, weekends = single["assignment_count"], single["max_working_weekends"]
        constant = 0
        if total.weight and total.maximum is not None and history.total_assignments > total.maximum:
            constant += total.weight * (history.total_assignments - total.maximum)
        judged = bool(problem.horizon.weekends())  # the checker judges no weekend count without a weekend
        beyond = history.total_working_weekends - (weekends.maximum or 0)
        if judged and weekends.weight and weekends.maximum is not None and beyond > 0:
            constant += weekends.weight * beyond
        start = (
            kind,
            shift,
            history.consecutive_work_days if kind else 0,
            history.consecutive_same_shift if kind else 0,
            0 if kind else history.consecutive_days_off,
            history.total_assignments,
            history.total_working_weekends,
        )
        return cls(
            person,
            scale=scale,
            work=single["consecutive_working_days"],
            off=single["consecutive_days_off"],
            same=same,
            total=total,
            weekends=weekends,
            complete=complete,
            forbidden=frozenset(forbidden),
            requests=requests,
            start=start,
            constant=constant,
            history_run=history_run,
        )


def _plain(rule: Rule) -> bool:
    """A rule the labelling models: a listed family, in effect all the time, soft for the
    soft families and hard for the hard ones."""
    if rule.effective_from is not None or rule.effective_to is not None:
        return False
    if rule.family in SOFT_FAMILIES:
        return not rule.hard
    return rule.family in HARD_FAMILIES and rule.hard


def _bounds(rule: Rule, *, reach: int) -> Bounds:
    """``rule``'s bounds; a maximum no count can pass (``reach`` is the most it can get to:
    INRC-II's "at most 56 Day shifts in a row" over 8 weeks) is dropped, so that the counter
    stops at the minimum: ten times fewer states on an 8-week instance."""
    spec = rule.spec
    maximum = getattr(spec, "maximum", None)
    if maximum is not None and maximum >= reach:
        maximum = None
    return Bounds(getattr(spec, "minimum", None), maximum, rule.weight)


def request_charges(problem: RosterProblem, staff: str, shifts: Sequence[str], weight: int) -> IntArray | None:
    """What ``staff``'s requests charge (unscaled) per day and action (0 off, ``s + 1`` the
    shift ``shifts[s]``): ``weight`` × the request's own weight wherever the action breaches
    it (``ShiftRequests``: an on-request is breached by anything but its shift, or by a day
    off when it names none; an off-request by its shift, or by any shift). None when a request
    lies outside the horizon or names a shift not in ``shifts``."""
    requests = np.zeros((len(problem.horizon.days), len(shifts) + 1), dtype=np.int64)
    for request in problem.requests:
        if request.staff != staff:
            continue
        if request.day not in problem.horizon or (request.shift is not None and request.shift not in shifts):
            return None
        d = problem.horizon.index(request.day)
        if request.shift is None:
            hits = [0] if request.on else list(range(1, len(shifts) + 1))
        else:
            position = shifts.index(request.shift) + 1
            hits = [a for a in range(len(shifts) + 1) if a != position] if request.on else [position]
        requests[d, hits] += weight * request.weight
    return requests
