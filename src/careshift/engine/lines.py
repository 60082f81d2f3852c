"""Rosters built one person at a time, for problems whose hard rules each bind one person.

On the long Curtois & Qu instances (21–24: 50–150 nurses, 26–52 weeks, up to 32 shift
types) the whole CP-SAT model takes 1.5–6.5 GB and CP-SAT finds no roster in 10 minutes.
Yet every hard rule there (one shift a day, successions, shift counts, minutes, runs,
weekends, days off) binds one person: only cover, which is soft, couples people. So:

* **A line per person.** Each person gets their own model, built once by ``build_model``
  from the problem cut down to that person (their rules, requests and days off; no cover).
  The cover enters that model's objective as one coefficient per ``work`` variable: what
  the cover rules charge for one more person on that line given who else covers it
  (``marginal``). With one shift a day hard a person covers a line at most once, so that
  linear term is exact and the line's optimum is the best line for that person while the
  others keep theirs.
* **The first roster** takes people in order, each against the cover the people before
  them left open: solves with that objective (stopped shortly after their first line; the
  CP-SAT setting that found the last line first, ``LINE_SETTINGS``), then — if none found a
  line within its cap — the hard rules alone until the first line. A person whose rules
  admit no line at all raises ``InfeasibleError`` naming them and the rules in conflict
  (``diagnose`` of that person's problem).
* **Improvement** is ruin and recreate (``LineSearch.improve``): a few people lose their
  work over a window of days, then each is re-solved on that window against the cover the
  others hold; the step is kept unless the cost rose. Two threads run steps side by side.

Nothing here solves the whole model: the roster is assembled from the lines and the
checker's cost of it is the objective (``solve`` reports it). ``LineLog`` records, per
person and solve, the build and solve times and the outcome, so a slow person shows.
"""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from careshift.domain.checker import check
from careshift.domain.demand import ShiftCover
from careshift.domain.errors import InfeasibleError
from careshift.domain.problem import RosterProblem
from careshift.domain.rules.base import Rule
from careshift.domain.schedule import Assignment, Schedule
from careshift.domain.workforce import Staff
from careshift.engine.build import build_model
from careshift.engine.model import EngineModel, UnsupportedRuleError

#: Families whose cost depends on several people's lines (hard: they cannot be met line by line).
SHARED = frozenset({"cover_floor", "cover_target"})

#: Problems with more ``work`` variables than this skip the whole model (see ADR 0003).
LARGE = 100_000

#: CP-SAT settings for one person's line, tried in turn for a first line (the one that found
#: the last line first). ``light`` (one presolve round, no probing, no symmetry) halved the
#: time to a first line on Curtois Instance24; on Instance22, whose lines must fit 232–234
#: shifts into 328 free days, it found none in 20 s where ``lp`` (the full presolve and every
#: constraint in the LP) took 0.5–2.4 s (see ADR 0003).
LINE_SETTINGS: dict[str, dict[str, int]] = {
    "light": {"max_presolve_iterations": 1, "cp_model_probing_level": 0, "symmetry_level": 0},
    "lp": {"linearization_level": 2},
}

#: Seconds for the first of those settings before the next one is tried.
QUICK = 3.0

#: Share of ruin-and-recreate steps whose window is two stretches apart rather than one: on
#: Curtois Instance21, where everyone works close to their hard minimum of minutes, a person
#: can move a shift between distant weeks only that way (ADR 0003, sixteenth round).
APART = 0.5


def separable(problem: RosterProblem, *, hard_cover: bool = False) -> bool:
    """True when a roster can be built line by line: no hard rule couples people, and one
    shift a day is hard for everyone (so a person counts at most once on a cover line and
    the cover's cost is linear in one person's line). With ``hard_cover``, hard cover floors
    may couple them too (the column phase keeps them as rows of its master; INRC-II's
    minimum cover); a hard cover target still does not."""
    allowed = {"cover_floor"} if hard_cover else set()
    if any(rule.hard and rule.family in SHARED - allowed for rule in problem.rules):
        return False
    exclusive = [rule for rule in problem.rules if rule.family == "one_shift_per_day" and rule.hard]
    return all(any(rule.scope.covers(member) for rule in exclusive) for member in problem.staff)


def work_count(problem: RosterProblem) -> int:
    """About how many ``work`` variables the whole model has (staff × days × shifts × skills)."""
    skills = len({line.skill for line in problem.cover if line.skill is not None}) or 1
    return len(problem.staff) * len(problem.horizon.days) * len(problem.shift_types) * skills


@dataclass(frozen=True)
class LineLog:
    """One solve of one person's line: ``phase`` is ``first`` or ``improve``; ``route`` is
    ``objective/<setting>`` (their rules with the cost, ``LINE_SETTINGS``) or
    ``feasibility/lp`` (the hard rules alone, after the objective solves found no line
    within their caps); ``status`` is CP-SAT's."""

    staff: str
    phase: str
    route: str
    build_s: float
    solve_s: float
    status: str
    accepted: bool = True


@dataclass
class Person:
    """One person's own model (their rules, no cover), its objective ``base`` and the line
    they hold; ``LineSearch.person`` builds it, ``engine.columns`` prices it."""

    member: Staff
    problem: RosterProblem
    m: EngineModel
    base: cp_model.LinearExprT
    # per ``work`` variable: (variable, day index, shift, skill, indexes of the cover lines it counts for)
    items: list[tuple[cp_model.IntVar, int, str, str | None, tuple[int, ...]]]
    build_s: float
    hold: int  # position of the constraint that holds the line outside a window (see ``_hold``)
    line: tuple[int, ...] = ()  # positions in ``items`` worked
    own: int = 0  # what this person's own rules charge for ``line`` (checker)


@dataclass
class LineSearch:
    """The state of a person-by-person search over ``problem``."""

    problem: RosterProblem
    seed: int = 0
    workers: int = 2
    log: list[LineLog] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._preferred = list(LINE_SETTINGS)  # the setting that found the last first line goes first
        self._lock = threading.RLock()  # guards the cover counts and the lines (``improve``'s threads)
        self._cover: list[tuple[ShiftCover, list[Rule]]] = []
        shared = [rule for rule in self.problem.rules if rule.family in SHARED and not rule.hard]
        first, last = self.problem.horizon.days[0], self.problem.horizon.days[-1]
        partial = [rule.id for rule in shared if not (rule.in_effect(first) and rule.in_effect(last))]
        if partial:  # as build_model: a rule that starts or ends inside the horizon is not modelled
            raise UnsupportedRuleError(
                f"problem {self.problem.name}: rule(s) {', '.join(partial)} take effect or expire inside the "
                "horizon; split the horizon at the effective date"
            )
        hard = [rule for rule in self.problem.rules if rule.family in SHARED and rule.hard]
        self._hard_cover: list[list[Rule]] = []
        for line in self.problem.cover:
            if line.day in self.problem.horizon:
                self._cover.append((line, [rule for rule in shared if rule.scope.covers_unit(line.unit)]))
                self._hard_cover.append([rule for rule in hard if rule.scope.covers_unit(line.unit)])
        self._count = [0] * len(self._cover)
        self._day_of = [self.problem.horizon.index(line.day) for line, _rules in self._cover]
        self._paid = [self._line_cost(index, 0) for index in range(len(self._cover))]  # per line, now
        self._cover_total = sum(self._paid)
        self._lines_of: dict[tuple[object, ...], list[int]] = {}
        for index, (line, _rules) in enumerate(self._cover):
            self._lines_of.setdefault((line.day, line.shift), []).append(index)
        self._people: dict[str, Person] = {}

    # -- cover accounting -----------------------------------------------------------------

    def cover_lines(self) -> list[tuple[ShiftCover, list[Rule]]]:
        """The cover lines in the horizon with the soft cover rules charging each; a
        person's ``items`` name them by position here."""
        return self._cover

    def hard_cover(self, index: int) -> list[Rule]:
        """The hard cover rules binding cover line ``index`` (none on a ``separable``
        problem; the column phase makes them rows of its master)."""
        return self._hard_cover[index]

    def line_of(self, member: Staff, schedule: Schedule) -> tuple[tuple[int, ...], int]:
        """``member``'s line in ``schedule`` (positions in their ``items``) and what their
        own rules charge for it (checker)."""
        person = self.person(member)
        worked = {(a.day, a.shift, a.skill) for a in schedule if a.staff == member.id}
        days = person.m.days
        line = tuple(p for p, item in enumerate(person.items) if (days[item[1]], item[2], item[3]) in worked)
        return line, self._own_cost(person, line)

    def _line_cost(self, index: int, count: int) -> int:
        line, rules = self._cover[index]
        total = 0
        for rule in rules:
            if rule.family == "cover_target":
                total += rule.weight * line.weight_under * max(0, line.target - count)
                if line.cap is not None:
                    total += rule.weight * line.weight_over * max(0, count - line.cap)
            else:
                total += rule.weight * max(0, line.floor - count)
        return total

    def cover_cost(self) -> int:
        """What the cover rules charge for the lines held now."""
        return self._cover_total

    def total(self) -> int:
        """What the roster held now costs: each person's own rules plus the cover."""
        return sum(person.own for person in self._people.values()) + self.cover_cost()

    def _marginal(
        self, person: Person, window: Container[int] | None = None, absent: Counter[int] | None = None
    ) -> list[int]:
        """Per ``work`` variable of ``person``: the cover's cost of them working it while the
        others keep their lines (their own line taken out of the counts); 0 outside
        ``window`` (those variables are held)."""
        mine = {index for position in person.line for index in person.items[position][4]}
        coefficients = []
        for _var, d, _shift, _skill, lines in person.items:
            delta = 0
            if window is not None and d not in window:
                coefficients.append(0)
                continue
            for index in lines:
                others = self._count[index] - (index in mine) - (absent[index] if absent else 0)
                delta += self._line_cost(index, others + 1) - self._line_cost(index, others)
            coefficients.append(delta)
        return coefficients

    def _costly_day(self, rng: random.Random) -> int | None:
        """A day index drawn in proportion to what its cover costs now (None when nothing does)."""
        costs: dict[int, int] = {}
        for index, paid in enumerate(self._paid):
            if paid:
                costs[self._day_of[index]] = costs.get(self._day_of[index], 0) + paid
        if not costs:
            return None
        return rng.choices(list(costs), weights=list(costs.values()))[0]

    def _place(self, person: Person, line: tuple[int, ...], sign: int) -> None:
        """Add (``sign`` 1) or take out (-1) the cover of ``line``'s shifts."""
        for position in line:
            for index in person.items[position][4]:
                paid = self._line_cost(index, self._count[index] + sign)
                self._cover_total += paid - self._paid[index]
                self._paid[index] = paid
                self._count[index] += sign

    # -- one person ------------------------------------------------------------------------

    def person(self, member: Staff) -> Person:
        """``member``'s own model (built on first use)."""
        found = self._people.get(member.id)
        if found is not None:
            return found
        started = time.monotonic()
        rules = tuple(
            rule
            for rule in self.problem.rules
            if rule.family not in SHARED and (not rule.scope.staff or member.id in rule.scope.staff)
        )
        # The cover lines stay when they name skills, so that the person's model has a slot
        # per skill (INRC-II); no cover rule is kept, so they charge nothing here.
        skilled = any(line.skill is not None for line in self.problem.cover)
        alone = dataclasses.replace(
            self.problem,
            staff=(member,),
            cover=self.problem.cover if skilled else (),
            rules=rules,
            requests=tuple(request for request in self.problem.requests if request.staff == member.id),
        )
        m = build_model(alone)
        home = member.home_unit
        items = []
        for (_staff, d, slot), var in m.work.items():
            lines = tuple(
                index
                for index in self._lines_of.get((m.days[d], slot.shift), ())
                if self._cover[index][0].skill in (None, slot.skill) and self._cover[index][0].unit in (None, home)
            )
            items.append((var, d, slot.shift, slot.skill, lines))
        hold = len(m.model.proto.constraints)
        m.model.proto.constraints.add().linear.domain.extend([0, 0])  # empty until a window is held
        found = Person(member, alone, m, m.objective_expr(), items, time.monotonic() - started, hold)
        self._people[member.id] = found
        return found

    def assignments(self, member: Staff, line: Sequence[int]) -> list[Assignment]:
        """The assignments of ``member``'s ``line`` (positions in their ``items``)."""
        return self._assignments(self.person(member), line)

    def _assignments(self, person: Person, line: Sequence[int]) -> list[Assignment]:
        days = person.m.days
        home = person.member.home_unit
        return [
            Assignment(person.member.id, days[person.items[p][1]], person.items[p][2], person.items[p][3], home)
            for p in line
        ]

    def _own_cost(self, person: Person, line: Sequence[int]) -> int:
        report = check(person.problem, Schedule.of(self._assignments(person, line)))
        if not report.feasible:
            raise InfeasibleError(
                f"line for {person.member.id} breaks {', '.join(v.rule_id for v in report.hard_violations[:3])}"
            )
        return report.cost

    def _solve(
        self,
        person: Person,
        phase: str,
        cap: float,
        grace: float | None,
        feasibility_until: float | None,
        window: Container[int] | None = None,
        hint: tuple[int, ...] | None = None,
        workers: int | None = None,
        rng: random.Random | None = None,
        absent: Counter[int] | None = None,
    ) -> tuple[int, ...] | None:
        """A new line for ``person`` against the others' cover, or None (no line within the
        time). ``grace``: stop that long after the first line found. ``feasibility_until``:
        if the objective solve finds none, look for any line until then. ``window``: only
        these day indexes may change (the rest of the line is held). ``hint``: a line to
        start from (default: the person's line). ``workers``/``rng``: CP-SAT workers and
        the seed source (default: the search's). ``absent``: people per cover line to
        leave out of the counts (work of others about to be re-solved)."""
        model = person.m.model
        worked = set(person.line if hint is None else hint)
        if window is not None:
            ones = [item[0].index for p, item in enumerate(person.items) if item[1] not in window and p in worked]
            zeros = [item[0].index for p, item in enumerate(person.items) if item[1] not in window and p not in worked]
            self._hold(person, ones, zeros)
        try:
            with self._lock:
                coefficients = self._marginal(person, window, absent)
            cover = cp_model.LinearExpr.weighted_sum([item[0] for item in person.items], coefficients)
            model.minimize(cp_model.LinearExpr.sum([cover, person.base]))
            model.clear_hints()  # type: ignore[no-untyped-call]
            if worked:
                proto = model.proto.solution_hint
                proto.vars.extend([item[0].index for item in person.items])
                proto.values.extend([int(position in worked) for position in range(len(person.items))])
            tries = self._preferred if feasibility_until is not None else self._preferred[:1]
            line = None
            for attempt, name in enumerate(tries):
                limit = min(cap, QUICK) if attempt < len(tries) - 1 else cap
                line, status, spent = self._run(model, person, limit, grace, workers, rng, name)
                build = person.build_s if phase == "first" and attempt == 0 else 0.0
                self.log.append(LineLog(person.member.id, phase, f"objective/{name}", build, spent, status))
                if status == "INFEASIBLE":
                    raise self._no_line(person)
                if line is not None:
                    if name != self._preferred[0]:
                        self._preferred = [name, *(other for other in self._preferred if other != name)]
                    break
            if line is None and feasibility_until is not None and time.monotonic() < feasibility_until:
                model.clear_objective()  # type: ignore[no-untyped-call]
                left = feasibility_until - time.monotonic()
                line, status, spent = self._run(model, person, left, 0.0, workers, rng, "lp")
                self.log.append(LineLog(person.member.id, phase, "feasibility/lp", 0.0, spent, status))
                if line is None and status == "INFEASIBLE":
                    raise self._no_line(person)
            return line
        finally:
            if window is not None:
                self._hold(person, [], [])

    @staticmethod
    def _hold(person: Person, ones: list[int], zeros: list[int]) -> None:
        """Hold the Booleans ``ones`` at 1 and ``zeros`` at 0 with the person's one reserved
        linear constraint (``sum(ones) - sum(zeros) == len(ones)``; empty: always true),
        rewritten in place: cheaper than fixing thousands of domains one by one."""
        linear = person.m.model.proto.constraints[person.hold].linear
        linear.vars.clear()
        linear.coeffs.clear()
        linear.domain.clear()
        linear.vars.extend(ones + zeros)
        linear.coeffs.extend([1] * len(ones) + [-1] * len(zeros))
        linear.domain.extend([len(ones), len(ones)])

    def _run(
        self,
        model: cp_model.CpModel,
        person: Person,
        cap: float,
        grace: float | None,
        workers: int | None,
        rng: random.Random | None,
        setting: str,
    ) -> tuple[tuple[int, ...] | None, str, float]:
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = self.workers if workers is None else workers
        solver.parameters.random_seed = (self._rng if rng is None else rng).randrange(1 << 30)
        solver.parameters.max_time_in_seconds = max(0.05, cap)
        for name, value in LINE_SETTINGS[setting].items():
            setattr(solver.parameters, name, value)
        callback = _StopAfter(solver, grace)
        started = time.monotonic()
        status = solver.solve(model, callback)
        callback.cancel()
        spent = time.monotonic() - started
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None, solver.status_name(status), spent
        solution = list(solver.response_proto.solution)
        line = tuple(position for position, item in enumerate(person.items) if solution[item[0].index])
        return line, solver.status_name(status), spent

    def _no_line(self, person: Person) -> InfeasibleError:
        from careshift.engine.diagnose import diagnose

        hard = dataclasses.replace(person.problem, rules=tuple(rule for rule in person.problem.rules if rule.hard))
        diagnosis = diagnose(hard, time_limit=10.0)
        found = [item.rule_id for conflict in diagnosis.conflicts for item in conflict] or [
            item.rule_id for item in diagnosis.relaxations
        ]
        rules = ", ".join(dict.fromkeys(found)) or "not found within the diagnosis' time limit"
        return InfeasibleError(
            f"no line for {person.member.id} meets their hard rules (in conflict: {rules}). {diagnosis.explain()}",
            relaxations=tuple(item.text for item in diagnosis.relaxations),
        )

    # -- the roster -------------------------------------------------------------------------

    def first(self, deadline: float, *, cap: float = 5.0, grace: float = 0.5) -> bool:
        """Give every person a line, in order, each against the cover left by the people
        before; False when some person got none before ``deadline``."""
        for member in self.problem.staff:
            if time.monotonic() >= deadline:
                return False
            person = self.person(member)
            line = self._solve(person, "first", min(cap, deadline - time.monotonic()), grace, deadline)
            if line is None:
                return False
            person.line = line
            person.own = self._own_cost(person, line)
            self._place(person, line, +1)
        return True

    def improve(
        self,
        deadline: float,
        *,
        cap: float = 3.0,
        window: int | None = 28,
        group: Sequence[int] = (1, 2, 3),
        guided: float = 0.5,
        apart: float = APART,
        threads: int | None = None,
        on_improve: Callable[[int], None] | None = None,
    ) -> int:
        """Ruin and recreate until ``deadline``; returns how many steps lowered the cost.

        Each step takes ``k`` people (``k`` drawn from ``group``) and a stretch of
        ``window`` days (the whole horizon for None), takes their work on those days out
        of the cover, then re-solves each of them in turn (random order) on those days
        against the cover everyone else holds at that moment, so a shift one of them gives
        up can go to another. The step is kept unless it raised the cost. A share
        ``guided`` of the windows is centred on a day drawn in proportion to what its
        cover costs now; the rest start anywhere. A share ``apart`` of the windows are two
        stretches of half the width each, the second anywhere else (see ``_window``).

        ``threads`` (default ``workers``) steps run side by side, each on its own people,
        with one CP-SAT worker per solve: these window solves are small (tens of ms), and
        one worker solved as many per second as two did (Instance21, ADR 0003), so two
        threads use both cores."""
        threads = max(1, self.workers if threads is None else threads)
        horizon = len(self.problem.horizon.days)
        width = horizon if window is None else min(window, horizon)
        people = [self._people[member.id] for member in self.problem.staff if member.id in self._people]
        busy: set[str] = set()
        improved = [0]

        best_cost = [self.total()]
        best_lines = {person.member.id: (person.line, person.own) for person in people}

        def step(rng: random.Random, workers: int) -> None:
            with self._lock:
                free = [person for person in people if person.member.id not in busy]
                chosen = rng.sample(free, min(len(free), rng.choice(list(group))))
                if not chosen:
                    return
                busy.update(person.member.id for person in chosen)
                centre = self._costly_day(rng) if rng.random() < guided else None
                days = self._window(rng, centre, width, horizon, apart > 0 and rng.random() < apart)
                saved = [(person, person.line, person.own) for person in chosen]
                # the group's work on those days, not re-solved yet: out of the cover each of
                # them is priced against (the counts always hold everyone's whole line)
                pending = {
                    person.member.id: [i for p in person.line if person.items[p][1] in days for i in person.items[p][4]]
                    for person in chosen
                }
            done = True
            for person, line, _own in rng.sample(saved, len(saved)):
                with self._lock:
                    absent = Counter(i for key, lines in pending.items() if key != person.member.id for i in lines)
                remaining = deadline - time.monotonic()
                found = self._solve(
                    person, "improve", min(cap, remaining), None, None, days, line, workers, rng, absent
                )
                if found is None:
                    done = False
                    break
                own = self._own_cost(person, found)
                with self._lock:
                    self._place(person, person.line, -1)
                    self._place(person, found, +1)
                    person.line, person.own = found, own
                    del pending[person.member.id]
            with self._lock:
                after = self.total()
                changed = [(person, person.line, person.own) for person, _line, _own in saved]
                for person, line, own in saved:
                    self._place(person, person.line, -1)
                    self._place(person, line, +1)
                    person.line, person.own = line, own
                before = self.total()
                if done and after <= before:
                    for person, line, own in changed:
                        self._place(person, person.line, -1)
                        self._place(person, line, +1)
                        person.line, person.own = line, own
                    if after < before:
                        improved[0] += 1
                now = self.total()
                if now < best_cost[0]:  # every moment holds a whole roster; keep the cheapest seen
                    best_cost[0] = now
                    best_lines.update({person.member.id: (person.line, person.own) for person in people})
                    if on_improve is not None:
                        on_improve(now)
                busy.difference_update(person.member.id for person in chosen)

        def run(thread: int) -> None:
            rng = random.Random(self.seed * 1000 + thread)
            while time.monotonic() < deadline - 0.1:
                step(rng, 1 if threads > 1 else self.workers)

        pool = [threading.Thread(target=run, args=(thread,), daemon=True) for thread in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        if self.total() > best_cost[0]:
            for person in people:
                self._place(person, person.line, -1)
                person.line, person.own = best_lines[person.member.id]
                self._place(person, person.line, +1)
        return improved[0]

    @staticmethod
    def _window(rng: random.Random, centre: int | None, width: int, horizon: int, split: bool) -> frozenset[int]:
        """``width`` day indexes for a ruin-and-recreate step: one stretch around ``centre``
        (anywhere when None), or, when ``split``, half of it there and half anywhere else, so a
        person bound by a horizon total can move work from one stretch to the other."""
        half = width // 2 if split and horizon >= 2 * width else width
        start = rng.randrange(0, horizon - half + 1) if centre is None else centre - half // 2
        start = min(max(0, start), horizon - half)
        days = set(range(start, start + half))
        rest = width - half
        if rest:
            other = [d for d in range(horizon - rest + 1) if d + rest <= start or d >= start + half]
            first = rng.choice(other)
            days.update(range(first, first + rest))
        return frozenset(days)

    def schedule(self) -> Schedule:
        """The roster of the lines held now."""
        chosen = [a for person in self._people.values() for a in self._assignments(person, person.line)]
        return Schedule.of(chosen, source="engine", policy_version=self.problem.policy_version)


class _StopAfter(cp_model.CpSolverSolutionCallback):
    """Stops the search ``grace`` seconds after its first solution (never, for None)."""

    def __init__(self, solver: cp_model.CpSolver, grace: float | None) -> None:
        super().__init__()
        self._solver = solver
        self._grace = grace
        self._timer: threading.Timer | None = None

    def on_solution_callback(self) -> None:
        if self._grace is None or self._timer is not None:
            return
        if self._grace <= 0:
            self.stop_search()
            return
        self._timer = threading.Timer(self._grace, self._solver.stop_search)
        self._timer.daemon = True
        self._timer.start()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
