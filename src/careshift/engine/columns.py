"""Column generation over people's lines: a lower bound and a roster from the columns.

When cover is the only rule that couples people (``lines.separable``, with
``hard_cover=True``), a roster is one line per person, and the problem is a *master*:
choose one line per person so that what their own rules charge plus what the cover charges
is least; a hard cover floor (INRC-II's minimum cover) is a row whose slack costs
``HARD_WEIGHT`` a person. Its LP relaxation, over the
lines generated so far, prices every cover line (the duals); a person's best new line is
then the optimum of their own model (``LineSearch.person``) with each ``work`` variable
charged minus the duals of the cover lines it counts for (*pricing*). Lines with a
negative reduced cost enter the master and the LP is solved again.

What this gives the search (ADR 0003, fifth round):

* a **bound**: what the cover rows promise at the duals plus every person's least line
  value is a lower bound on any roster (Lagrangian bound; proven only when every pricing
  solve was optimal). The compact model's LP says 1 on Curtois Instance5 (optimum 1143);
  this one says 1141, because a line already holds its sequence and workload rules;
* **rosters**: CP-SAT on the whole model with the LP's integral values fixed, a dive
  (``dive``) and the master as a MIP over every line (``master_mip``), from which the
  large-neighbourhood search goes on, guided by the LP's solution (``improve_by_columns``).

The LP is GLOP and the MIP SCIP (both bundled with OR-Tools, no new dependency); pricing
is a labelling over the days where the person's rules allow it (``engine.pricing``: runs,
counts, weekends and requests, as in INRC-II), else CP-SAT, one worker per solve,
``threads`` people at a time (CP-SAT releases the GIL).
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from careshift.domain.schedule import Assignment, Schedule
from careshift.domain.workforce import Staff
from careshift.engine import budget
from careshift.engine.budget import BudgetLines, IntArray, Master, Share, exact_master, flow_master
from careshift.engine.lines import LineSearch, Person
from careshift.engine.lns import Incumbent
from careshift.engine.model import EngineModel
from careshift.engine.pricing import SequencePricer

#: Duals are scaled by this and rounded to integers for the CP-SAT pricing objective.
SCALE = 1000

#: How far towards the best bound's duals people are priced (``ColumnGeneration.generate``);
#: 0 prices at the LP's own duals. On the first part (35 days) of three 8-week INRC-II
#: instances, from the same first roster, 0.5 converged in 58 rounds at 45 s against 82 at
#: 60 s (n040w8_2) and in 70 at 73 s against 94 at 101 s (n060w8_2); on n120w8_0 in 48 rounds
#: at 89 s where without it the bound was still 1049 against the LP's 1649 after 106 s. But
#: 600-s runs with it went both ways against runs without it (n035w8_1 2775 against 2805,
#: n060w8_2 3580 against 3280), so it stays off until more runs decide (ADR 0003,
#: thirteenth round).
SMOOTHING = 0.0

#: What the master charges per person short of a hard cover floor (INRC-II's minimum
#: cover): far above any soft rule's weight (at most 30 there), so the LP meets the floors
#: whenever its columns can, and a hard row's multiplier may rise as far as a bound needs.
HARD_WEIGHT = 10_000

#: At most this many lines in an exact master (``ColumnGeneration.exact``): Curtois
#: Instance7 has 247 466 within its budget for 1056 (CP-SAT holds them in a few hundred MB).
EXACT_LINES = 400_000


@dataclass(frozen=True)
class _Term:
    """One row of the master for one cover line: ``count + short >= level`` (``under``) or
    ``count - excess <= level`` (``over``), the slack charged ``weight`` per person."""

    line: int
    kind: str
    level: int
    weight: int


@dataclass(frozen=True)
class Column:
    """One line of one person: positions in their ``items`` worked, and what their own
    rules charge for it."""

    staff: str
    line: tuple[int, ...]
    own: int


@dataclass
class ColumnStats:
    """What a run did (for the ADR and the logs)."""

    iterations: int = 0
    columns: int = 0
    pricing_solves: int = 0
    pricing_s: float = 0.0
    lp_s: float = 0.0
    lp_value: float | None = None
    bound: float | None = None
    converged: bool = False
    labelled: int = 0  # pricing solves done by labelling (``engine.pricing``) instead of CP-SAT
    master_mips: int = 0  # master MIPs solved over the columns
    smoothed: int = 0  # rounds priced at smoothed duals (``ColumnGeneration.smoothing``)
    mispriced: int = 0  # of those, rounds that found no line, followed by one at the LP's duals
    exact: list[str] = field(default_factory=list)  # per exact master: ceiling:status/lines/seconds


@dataclass(frozen=True)
class Certificate:
    """A Lagrangian lower bound and what proves it: integer multipliers (scaled by
    ``SCALE``, each within its row's slack price) per master row, and each person's least
    ``SCALE × own − charges`` at them (a proven optimum of their pricing solve). Any
    roster costs at least ``bound``: ``SCALE`` × its cost is ``total`` plus, per person,
    how far their line lies above their least and, per row, a share that is never
    negative (ADR 0003, sixth round). Integers throughout, so no rounding slack."""

    multipliers: tuple[int, ...]
    least: dict[str, int]
    total: int

    @property
    def bound(self) -> float:
        return self.total / SCALE


@dataclass(frozen=True)
class Exact:
    """What ``ColumnGeneration.exact`` found: a roster (positions in each person's items)
    when one lies below the ceiling, else None, and the bound it proved (every ceiling
    below it has no roster), None when a person's rules are not modelled by the listing."""

    roster: dict[str, tuple[int, ...]] | None
    bound: int | None


@dataclass
class ColumnGeneration:
    """Column generation for ``search.problem`` (its people's models come from ``search``)."""

    search: LineSearch
    threads: int = 2
    seed: int = 0
    parameters: dict[str, object] = field(default_factory=dict)
    stats: ColumnStats = field(default_factory=ColumnStats)
    labelling: bool = True
    smoothing: float = SMOOTHING

    def __post_init__(self) -> None:
        self._terms: list[_Term] = []
        self._terms_of: dict[int, list[int]] = {}
        for index, (line, rules) in enumerate(self.search.cover_lines()):
            for rule in rules:
                if rule.family == "cover_target":
                    if line.target > 0:
                        self._add_term(_Term(index, "under", line.target, rule.weight * line.weight_under))
                    if line.cap is not None:
                        self._add_term(_Term(index, "over", line.cap, rule.weight * line.weight_over))
                elif line.floor > 0:
                    self._add_term(_Term(index, "under", line.floor, rule.weight))
            if line.floor > 0 and self.search.hard_cover(index):
                # a hard floor: its slack costs more than any roster's soft rules can
                self._add_term(_Term(index, "under", line.floor, HARD_WEIGHT))
        self.columns: dict[str, list[Column]] = {}
        self._seen: set[tuple[str, tuple[int, ...]]] = set()
        self._lp = pywraplp.Solver.CreateSolver("GLOP")
        self._rows = self._cover_rows(self._lp)
        self._convexity: dict[str, pywraplp.Constraint] = {}
        self._variables: dict[str, list[pywraplp.Variable]] = {}
        self._people: dict[str, Person] = {}
        self.fixed: dict[str, tuple[int, ...]] = {}
        self.certificate: Certificate | None = None
        self._fixed_variables: list[pywraplp.Variable] = []
        self._pricers: dict[str, SequencePricer | None] = {}
        self._stats_lock = threading.Lock()
        self._center: list[float] | None = None  # the duals of the best bound so far
        self._exact_next = False  # price the next round at the LP's own duals

    def _cover_rows(self, solver: pywraplp.Solver) -> list[pywraplp.Constraint]:
        """The master's cover rows in ``solver`` (one per term, with its slack charged in a
        minimised objective); columns enter them through ``_rows_of``."""
        infinity = solver.infinity()
        rows = []
        for position, term in enumerate(self._terms):
            slack = solver.NumVar(0.0, infinity, f"{term.kind}[term={position}]")
            if term.kind == "under":
                row = solver.Constraint(term.level, infinity)
                row.SetCoefficient(slack, 1.0)
            else:
                row = solver.Constraint(-infinity, term.level)
                row.SetCoefficient(slack, -1.0)
            solver.Objective().SetCoefficient(slack, float(term.weight))
            rows.append(row)
        solver.Objective().SetMinimization()
        return rows

    def _rows_of(self, staff_id: str, line: tuple[int, ...]) -> list[int]:
        """The cover rows (positions in ``_terms``) a line of ``staff_id`` counts in."""
        items = self._people[staff_id].items
        return [term for position in line for index in items[position][4] for term in self._terms_of.get(index, ())]

    def _add_term(self, term: _Term) -> None:
        self._terms_of.setdefault(term.line, []).append(len(self._terms))
        self._terms.append(term)

    # -- columns ----------------------------------------------------------------------------

    def add(self, member: Staff, line: tuple[int, ...], own: int) -> bool:
        """Add ``member``'s ``line`` (charged ``own`` by their rules) to the master; False
        when it is there already."""
        key = (member.id, line)
        if key in self._seen:
            return False
        self._seen.add(key)
        self._person(member)  # built before its rows are read
        column = Column(member.id, line, own)
        self.columns.setdefault(member.id, []).append(column)
        variable = self._lp.NumVar(0.0, self._lp.infinity(), f"line[{member.id},{len(self.columns[member.id])}]")
        self._lp.Objective().SetCoefficient(variable, float(own))
        if member.id not in self._convexity:
            self._convexity[member.id] = self._lp.Constraint(1.0, 1.0, f"one_line[{member.id}]")
        self._convexity[member.id].SetCoefficient(variable, 1.0)
        self._variables.setdefault(member.id, []).append(variable)
        for row in self._rows_of(member.id, line):
            self._rows[row].SetCoefficient(variable, 1.0)
        self.stats.columns += 1
        return True

    def _person(self, member: Staff) -> Person:
        found = self._people.get(member.id)
        if found is None:
            found = self._people[member.id] = self.search.person(member)
        return found

    # -- the LP and pricing -------------------------------------------------------------------

    def generate(self, deadline: float, *, cap: float = 2.0, rounds: int | None = None) -> ColumnStats:
        """Solve the LP and price every person not fixed until no line has a negative
        reduced cost (``stats.converged``), ``rounds`` LPs were solved, or ``deadline``.
        Every person needs a column first (``add``). With nobody fixed, each round whose
        pricing solves were all optimal gives a bound (``stats.bound``, the best so far).

        With ``smoothing`` above 0 and nobody fixed, people are priced at duals *smoothed*
        towards those of the best bound so far (``smoothing`` of the way; Wentges'
        stabilisation): the LP's own duals swing from round to round while the first columns
        are poor, and lines priced at them overshoot. A line still enters only when its
        reduced cost at the LP's own duals is negative; a round that finds none (a
        mispricing) is followed by one at the LP's own duals, and only such a round finding
        none proves convergence."""
        staff = [member for member in self.search.problem.staff if member.id not in self.fixed]
        missing = [member.id for member in staff if member.id not in self.columns]
        if missing:
            raise ValueError(f"no starting line for {', '.join(missing)}")
        self.stats.converged = False
        done = 0
        while time.monotonic() < deadline and (rounds is None or done < rounds):
            started = time.monotonic()
            status = self._lp.Solve()
            self.stats.lp_s += time.monotonic() - started
            if status != pywraplp.Solver.OPTIMAL:
                break
            done += 1
            self.stats.iterations += 1
            self.stats.lp_value = self._lp.Objective().Value()
            duals = [row.dual_value() for row in self._rows]
            center = None if self.fixed or self._exact_next else self._center
            share, priced_at = 0.0, duals
            if center is not None and self.smoothing > 0:
                share = self.smoothing
                priced_at = [share * c + (1 - share) * d for c, d in zip(center, duals, strict=True)]
            found = self._price_all(staff, duals, priced_at, deadline, cap)
            if found is None:  # ran out of time in the middle of pricing
                break
            added, certificate = found
            if certificate is not None and not self.fixed:
                bound = certificate.bound
                if self.stats.bound is None or bound > self.stats.bound:
                    self.stats.bound = bound
                    self.certificate = certificate
                    self._center = [q / SCALE for q in certificate.multipliers]
            self.stats.smoothed += int(share > 0)
            self._exact_next = not added and share > 0
            self.stats.mispriced += int(self._exact_next)
            if not added and not self._exact_next:
                self.stats.converged = certificate is not None
                break
        return self.stats

    def _multipliers(self, duals: Sequence[float]) -> list[int]:
        """The duals as integer Lagrange multipliers (scaled by ``SCALE``), each clipped to
        its row's slack price so that any of them give a valid bound."""
        multipliers = []
        for term, dual in zip(self._terms, duals, strict=True):
            low, high = (0, SCALE * term.weight) if term.kind == "under" else (-SCALE * term.weight, 0)
            multipliers.append(min(high, max(low, round(SCALE * dual))))
        return multipliers

    def charges(self, multipliers: Sequence[int]) -> dict[int, int]:
        """What each cover line's rows pay (scaled) at ``multipliers`` for one more person on it."""
        return {index: sum(multipliers[term] for term in terms) for index, terms in self._terms_of.items()}

    def _line_prices(self, duals: Sequence[float]) -> dict[int, float]:
        """What each cover line's rows pay at ``duals`` for one more person on it."""
        return {index: sum(duals[term] for term in terms) for index, terms in self._terms_of.items()}

    def _price_all(
        self,
        staff: Sequence[Staff],
        duals: Sequence[float],
        priced_at: Sequence[float],
        deadline: float,
        cap: float,
    ) -> tuple[int, Certificate | None] | None:
        """Price every person at ``priced_at`` (as integer multipliers); (columns added: the
        lines found with a negative reduced cost at the LP's ``duals``, the Lagrangian
        certificate at ``priced_at`` when every solve was optimal), or None when
        ``deadline`` came first."""
        queue = list(staff)
        lock = threading.Lock()
        results: dict[str, tuple[list[tuple[tuple[int, ...], int]], int | None]] = {}
        out_of_time = [False]
        prices = self._line_prices(duals)
        multipliers = self._multipliers(priced_at)
        charges = self.charges(multipliers)

        def run() -> None:
            while True:
                with lock:
                    if not queue:
                        return
                    member = queue.pop()
                left = deadline - time.monotonic()
                if left <= 0.01:
                    out_of_time[0] = True
                    return
                found = self.price(member, charges, min(cap, left))
                with lock:
                    results[member.id] = found

        workers = [threading.Thread(target=run, daemon=True) for _ in range(max(1, self.threads))]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        if out_of_time[0] or len(results) < len(staff):
            return None
        # read every convexity dual before the first new column changes the LP
        mus = {member.id: self._convexity[member.id].dual_value() for member in staff}
        added = 0
        least: dict[str, int] = {}
        for member in staff:
            lines, lowest = results[member.id]
            if lowest is not None:
                least[member.id] = lowest
            person = self._people[member.id]
            mu = mus[member.id]
            for line, own in lines:
                paid = sum(prices.get(index, 0.0) for position in line for index in person.items[position][4])
                if own - paid - mu < -1e-6 and self.add(member, line, own):
                    added += 1
        certificate = None
        if len(least) == len(staff):
            promised = sum(q * term.level for q, term in zip(multipliers, self._terms, strict=True))
            certificate = Certificate(tuple(multipliers), least, promised + sum(least.values()))
        return added, certificate

    def price(
        self, member: Staff, charges: dict[int, int], cap: float
    ) -> tuple[list[tuple[tuple[int, ...], int]], int | None]:
        """``member``'s lines found (with what their own rules charge) while minimising
        ``SCALE × own − charges`` (``charges`` per cover line, scaled), and that least value
        when the solve proved it (else None): by labelling when ``labelling`` is on and the
        person's rules allow it (``engine.pricing``), else by CP-SAT within ``cap`` seconds."""
        person = self._person(member)
        charged = _charged(person, charges)
        if member.id not in self._pricers:
            self._pricers[member.id] = SequencePricer.of(person, scale=SCALE) if self.labelling else None
        pricer = self._pricers[member.id]
        if pricer is not None:  # labelling: exact, and milliseconds where CP-SAT takes a second
            started = time.monotonic()
            found = pricer.price(charged)
            with self._stats_lock:
                self.stats.pricing_s += time.monotonic() - started
                self.stats.pricing_solves += 1
                self.stats.labelled += 1
            return [(line, own) for line, own, _value in found], found[0][2] if found else None
        variables = [item[0] for item in person.items]
        model = person.m.model
        # one thread prices one person at a time, so their model is ours while we solve
        cover = cp_model.LinearExpr.weighted_sum(variables, charged)
        model.minimize(cp_model.LinearExpr.weighted_sum([person.base, cover], [SCALE, 1]))
        model.clear_hints()  # type: ignore[no-untyped-call]
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = max(0.05, cap)
        solver.parameters.random_seed = self.seed
        for name, value in self.parameters.items():
            setattr(solver.parameters, name, value)
        collector = _Lines(person, variables)
        started = time.monotonic()
        status = solver.solve(model, collector)
        with self._stats_lock:  # two pricing threads
            self.stats.pricing_s += time.monotonic() - started
            self.stats.pricing_solves += 1
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return [], None
        return collector.found, round(solver.objective_value) if status == cp_model.OPTIMAL else None

    def work_values(self) -> dict[tuple[str, int, str, str | None], float]:
        """The LP solution over the columns held now, as a value per (staff, day index,
        shift, skill) worked (empty when the LP has no optimum)."""
        if self._lp.Solve() != pywraplp.Solver.OPTIMAL:
            return {}
        values: dict[tuple[str, int, str, str | None], float] = {}
        for staff_id, variables in self._variables.items():
            person = self._people[staff_id]
            for variable, column in zip(variables, self.columns[staff_id], strict=True):
                weight = variable.solution_value()
                if weight <= 1e-9:
                    continue
                for position in column.line:
                    _var, d, shift, skill, _lines = person.items[position]
                    key = (staff_id, d, shift, skill)
                    values[key] = values.get(key, 0.0) + weight
        return values

    # -- diving ---------------------------------------------------------------------------------

    def dive(
        self,
        deadline: float,
        *,
        cap: float = 2.0,
        rounds: int | None = None,
        sure: float = 0.9,
        per_step: int = 1,
        rng: random.Random | None = None,
    ) -> dict[str, tuple[int, ...]] | None:
        """A roster by diving: generate columns (at most ``rounds`` LPs a step), fix the
        person whose line the LP uses most (with every person whose line it uses at 0.9 or
        more) to that line, and again, until every person is fixed or the LP is integral;
        None when ``deadline`` comes first."""
        while time.monotonic() < deadline:
            self.generate(deadline, cap=cap, rounds=rounds)
            if time.monotonic() >= deadline or self._lp.Solve() != pywraplp.Solver.OPTIMAL:
                return None
            free = [member for member in self.search.problem.staff if member.id not in self.fixed]
            if not free:
                break
            # the LP's heaviest line per person (read before any fixing changes the LP)
            heaviest: dict[str, tuple[float, pywraplp.Variable, Column]] = {}
            for member in free:
                for variable, column in zip(self._variables[member.id], self.columns[member.id], strict=True):
                    value = variable.solution_value()
                    if member.id not in heaviest or value > heaviest[member.id][0]:
                        heaviest[member.id] = (value, variable, column)
            order = sorted(heaviest, key=lambda staff_id: -heaviest[staff_id][0])
            if rng is not None:  # another dive: a person drawn in proportion to their heaviest line
                order = rng.choices(order, weights=[heaviest[staff_id][0] for staff_id in order])
            top = order[:per_step]
            integral = all(value > 1 - 1e-6 for value, _variable, _column in heaviest.values())
            for staff_id, (value, variable, column) in heaviest.items():
                if integral or staff_id in top or value >= sure:
                    self._fix(staff_id, variable, column)
        if len(self.fixed) < len(self.search.problem.staff):
            return None
        return dict(self.fixed)

    def _fix(self, staff_id: str, variable: pywraplp.Variable, column: Column) -> None:
        variable.SetBounds(1.0, 1.0)
        self.fixed[staff_id] = column.line
        self._fixed_variables.append(variable)

    def surface(self) -> None:
        """Undo a dive's fixings (the columns it generated stay)."""
        for variable in self._fixed_variables:
            variable.SetBounds(0.0, self._lp.infinity())
        self._fixed_variables.clear()
        self.fixed.clear()

    # -- the exact master ---------------------------------------------------------------------

    def exact(
        self, ceiling: int, deadline: float, *, each: float = math.inf, limit: int = EXACT_LINES, flow: bool = True
    ) -> Exact:
        """The cheapest roster below ``ceiling`` over every line it may hold, ceiling by
        ceiling from the certificate's bound up (``budget.exact_master``): a master with no
        roster at ``u`` proves the bound ``u + 1``, and the first roster found is optimal.
        After the first ceiling proven empty, when ``flow``, the arc-flow master over that
        ceiling's arcs looks for a roster at the bound it proved (``budget.flow_master``), at
        most until ``deadline``; one found is optimal.
        Stops at ``deadline``, at a master not solved in ``each`` seconds, at more than ``limit``
        lines, or at a person not listed (a rule the listing does not model, or more than
        ``budget.STATES_LIMIT`` states for everyone together); needs a certificate (every
        person priced optimally) and nobody fixed."""
        inputs = self.masters_inputs(deadline)
        if inputs is None:
            return Exact(None, None)
        certificate, listers, tables, shares = inputs
        bound = -(-certificate.total // SCALE)
        for ceiling_at in range(bound, ceiling):
            if time.monotonic() >= deadline:
                break
            master = exact_master(
                listers,
                tables,
                certificate.least,
                shares,
                SCALE * ceiling_at - certificate.total,
                min(deadline, time.monotonic() + each),
                limit=limit,
                workers=self.threads,
                seed=self.seed,
            )
            self.stats.exact.append(_described(ceiling_at, master))
            if master.roster is not None:
                return Exact(master.roster, bound)
            if master.status != "INFEASIBLE":
                break
            bound = ceiling_at + 1
            if flow and bound < ceiling and time.monotonic() < deadline:
                # the arcs of the budget just proven empty still hold rosters above it: one
                # at the bound it proved is optimal
                found = flow_master(
                    listers,
                    tables,
                    certificate.least,
                    shares,
                    SCALE * ceiling_at - certificate.total,
                    SCALE * bound - certificate.total,
                    deadline,
                    seed=self.seed,
                )
                self.stats.exact.append("flow:" + _described(ceiling_at, found))
                if found.roster is not None:
                    return Exact(found.roster, bound)
                flow = False  # once: the next ceilings' tables hold more lines each
        return Exact(None, bound)

    def masters_inputs(
        self, deadline: float
    ) -> tuple[Certificate, dict[str, BudgetLines], dict[str, IntArray], list[Share]] | None:
        """What the exact masters read (``budget.exact_master``, ``budget.flow_master``): the
        certificate, each person's listing and costs per day and option at its multipliers,
        and the cover rows' shares; None without a certificate, with someone fixed, or with a
        person not listed (recorded as ``unlisted:ID``)."""
        certificate = self.certificate
        if certificate is None or self.fixed:
            return None
        listers: dict[str, BudgetLines] = {}
        room = budget.STATES_LIMIT
        for member in self.search.problem.staff:
            lister = None if time.monotonic() >= deadline else BudgetLines.of(self._person(member), limit=room)
            if lister is None:
                self.stats.exact.append(f"unlisted:{member.id}")  # a rule not modelled, too many states, or late
                return None
            listers[member.id] = lister
            room -= lister.reached
        charges = self.charges(certificate.multipliers)
        tables = {
            staff_id: lister.costs(_charged(lister.person, charges), SCALE) for staff_id, lister in listers.items()
        }
        shares = [
            Share(term.line, term.kind, term.level, SCALE * term.weight, multiplier)
            for term, multiplier in zip(self._terms, certificate.multipliers, strict=True)
        ]
        return certificate, listers, tables, shares

    # -- the integer master -----------------------------------------------------------------

    def master_mip(
        self, deadline: float, *, extra: dict[str, tuple[tuple[int, ...], int]] | None = None
    ) -> dict[str, tuple[int, ...]] | None:
        """One line per person from the columns (and ``extra``, a line and its own cost per
        person, e.g. the incumbent's), the cheapest SCIP (bundled with OR-Tools) finds before
        ``deadline``; None when it finds none."""
        if extra:
            for member in self.search.problem.staff:
                if member.id in extra:
                    self.add(member, *extra[member.id])
        self.stats.master_mips += 1
        mip = pywraplp.Solver.CreateSolver("SCIP")
        rows = self._cover_rows(mip)
        chosen: list[tuple[str, Column, pywraplp.Variable]] = []
        for staff_id, columns in self.columns.items():
            one = mip.Constraint(1.0, 1.0)
            for column in columns:
                variable = mip.BoolVar("")
                one.SetCoefficient(variable, 1.0)
                mip.Objective().SetCoefficient(variable, float(column.own))
                for row in self._rows_of(staff_id, column.line):
                    rows[row].SetCoefficient(variable, 1.0)
                chosen.append((staff_id, column, variable))
        mip.SetTimeLimit(max(1, int(1000 * (deadline - time.monotonic()))))
        if mip.Solve() not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
            return None
        return {staff_id: column.line for staff_id, column, variable in chosen if variable.solution_value() > 0.5}


def _charged(person: Person, charges: dict[int, int]) -> list[int]:
    """Per item of ``person``, minus what the cover lines it counts for pay (``charges``)."""
    return [-sum(charges.get(index, 0) for index in item[4]) for item in person.items]


def _described(ceiling: int, master: Master) -> str:
    return f"{ceiling}:{master.status}/{master.listed}/{master.list_s:.1f}+{master.solve_s:.1f}s"


class _Lines(cp_model.CpSolverSolutionCallback):
    """Every line a pricing solve passes through, with what the person's rules charge."""

    def __init__(self, person: Person, variables: list[cp_model.IntVar]) -> None:
        super().__init__()
        self._person = person
        self._variables = variables
        self.found: list[tuple[tuple[int, ...], int]] = []

    def on_solution_callback(self) -> None:
        line = tuple(position for position, var in enumerate(self._variables) if self.value(var))
        self.found.append((line, int(self.value(self._person.base))))


# -- the phase the solver runs ----------------------------------------------------------------

#: The column phase runs only on separable problems (hard cover allowed) with at most this many ``work``
#: variables (Curtois 1–19: at most 60 480, Instance13): each person's model is built and
#: priced every round, and the whole model is solved beside it; Curtois 21–24 (146 000
#: and more) go person by person instead (``lines.LARGE``). 20 000 until the seventh
#: round of ADR 0003, which measured Instance13 with the phase: 1465 against 9609 (1354,
#: within 0.5 % of the optimum, in the eighth round's rerun). INRC-II's 8-week instances of
#: 80–120 nurses (71 680–107 520) stay above it: with the phase, n120w8_0 ended at 8975 and
#: 9940 against 7860 without it, n080w8_1 at 6630 against 7765 (ADR 0003, tenth round).
COLUMNS_LIMIT = 70_000


WorkKey = tuple[str, int, str, str | None]


@dataclass(frozen=True)
class Shares:
    """How long each step of the column phase may run: column generation to convergence
    until ``lp``, then, when it converged, the exact master (``ColumnGeneration.exact``)
    until ``exact``, each ceiling for at most ``exact_each`` seconds, then CP-SAT on the whole
    model with every ``work`` variable the LP holds at 0 or 1 fixed for ``fixed`` seconds,
    then, if that ends before ``dive_start``, diving until ``dive`` and the master as a MIP
    over every column for at most ``fixed`` seconds and not after ``mip`` (all but ``fixed``
    and ``exact_each`` are ``time.monotonic`` values). A late dive would leave the LNS,
    which does better from a late start, too little time."""

    lp: float
    fixed: float
    dive_start: float
    dive: float
    mip: float
    exact: float | None = None  # the exact master's deadline (None: no exact master)
    exact_each: float = math.inf  # seconds at most for each of its ceilings


@dataclass(frozen=True)
class ColumnPhase:
    """What the column phase hands on: the best incumbent, the proven bound (rounded up:
    costs are integers; None when no pricing round proved one), the LP's value per
    ``work`` variable index (for the LNS's ``guided`` neighbourhoods) and the counters."""

    incumbent: Incumbent
    bound: float | None
    guide: dict[int, float] | None
    stats: ColumnStats


def improve_by_columns(
    m: EngineModel,
    incumbent: Incumbent,
    shares: Shares,
    *,
    seed: int,
    workers: int,
    started: float,
    on_improve: Callable[[Incumbent], None] | None = None,
) -> ColumnPhase:
    """The column phase: a bound and, when they beat ``incumbent``, rosters from the
    columns (see the module docstring). ``m`` must be the whole model of a
    ``lines.separable(..., hard_cover=True)`` problem."""
    search = LineSearch(m.problem, seed=seed, workers=workers)
    generation = ColumnGeneration(search, threads=workers, seed=seed, parameters=dict(PRICING))
    worked = _worked(m, incumbent.values)
    for member in m.problem.staff:
        line, own = search.line_of(member, _schedule_of(m, worked, member.id))
        generation.add(member, line, own)
    stats = generation.generate(shares.lp)
    best = incumbent
    # A round whose pricing solves were all optimal proves a bound even before the LP
    # converges, and the LP over the columns so far still guides (Curtois Instance19:
    # 84 days, not converged in 300 s); only the dive needs the converged LP.
    bound = None if stats.bound is None else float(math.ceil(stats.bound - 1e-6))

    def offer(found: Incumbent | None) -> None:
        nonlocal best
        if found is not None and found.objective < best.objective:
            best = found
            if on_improve is not None:
                on_improve(best)

    def roster_to_incumbent(roster: dict[str, tuple[int, ...]] | None) -> Incumbent | None:
        if roster is None:
            return None
        keys = {
            (member.id, d, shift, skill)
            for member in m.problem.staff
            for position in roster[member.id]
            for _var, d, shift, skill, _lines in (search.person(member).items[position],)
        }
        return complete(m, keys, started)

    values = generation.work_values()
    if not values:
        return ColumnPhase(best, bound, None, stats)
    guide = {
        var.index: values[key]
        for (staff, d, slot), var in m.work.items()
        if (key := (staff, d, slot.shift, slot.skill)) in values
    }
    if shares.exact is not None and stats.converged and bound is not None and best.objective > bound:
        # every line each roster below the incumbent may hold, and a master over them
        exact = generation.exact(round(best.objective), shares.exact, each=shares.exact_each)
        if exact.bound is not None:
            bound = max(bound, float(exact.bound))
        offer(roster_to_incumbent(exact.roster))
        if best.objective <= bound:
            return ColumnPhase(best, bound, guide, stats)
    until = min(time.monotonic() + shares.fixed, shares.dive)
    offer(_fixed_by_lp(m, values, best, until, -math.inf if bound is None else bound, seed, workers, started))

    if stats.converged and bound is not None and best.objective > bound and time.monotonic() < shares.dive_start:
        offer(roster_to_incumbent(generation.dive(shares.dive, rounds=DIVE_ROUNDS)))
        generation.surface()
        if best.objective > bound and time.monotonic() < shares.mip:
            # every column generated so far, the best roster's lines among them
            held = _worked(m, best.values)
            extra = {member.id: search.line_of(member, _schedule_of(m, held, member.id)) for member in m.problem.staff}
            until = min(time.monotonic() + shares.fixed, shares.mip)
            offer(roster_to_incumbent(generation.master_mip(until, extra=extra)))
    return ColumnPhase(best, bound, guide, stats)


#: CP-SAT settings of a pricing solve: every constraint in the LP and one light presolve
#: round (30–50 ms a solve on Curtois Instance10 against 66 ms with the defaults).
PRICING: dict[str, object] = {
    "linearization_level": 2,
    "max_presolve_iterations": 1,
    "cp_model_probing_level": 0,
    "symmetry_level": 0,
}

#: LPs solved per diving step before the next person is fixed.
DIVE_ROUNDS = 3


def _worked(m: EngineModel, values: Sequence[int]) -> set[WorkKey]:
    return {(staff, d, slot.shift, slot.skill) for (staff, d, slot), var in m.work.items() if values[var.index]}


def _schedule_of(m: EngineModel, worked: set[WorkKey], staff: str) -> Schedule:
    return Schedule.of(
        Assignment(key[0], m.days[key[1]], key[2], key[3]) for key in sorted(worked, key=str) if key[0] == staff
    )


def complete(m: EngineModel, worked: set[WorkKey], started: float, limit: float = 10.0) -> Incumbent | None:
    """The whole model's solution for the roster ``worked`` (every ``work`` variable
    fixed, the penalties at their least), as an incumbent; None if it breaks a hard rule
    (or is not solved within ``limit`` seconds)."""
    fixed = m.model.clone()
    for (staff, d, slot), var in m.work.items():
        fixed.add(fixed.get_bool_var_from_proto_index(var.index) == int((staff, d, slot.shift, slot.skill) in worked))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = max(0.01, limit)
    if solver.solve(fixed) != cp_model.OPTIMAL:
        return None
    return Incumbent(list(solver.response_proto.solution), solver.objective_value, time.monotonic() - started)


def _fixed_by_lp(
    m: EngineModel,
    values: dict[WorkKey, float],
    incumbent: Incumbent,
    deadline: float,
    bound: float,
    seed: int,
    workers: int,
    started: float,
) -> Incumbent | None:
    """CP-SAT on the whole model with every ``work`` variable the LP holds at exactly 0
    or 1 fixed there (the rest free, hinted by the incumbent), stopped at ``deadline`` or
    on reaching ``bound``."""
    if not values or time.monotonic() >= deadline:
        return None
    sub = m.model.clone()
    proto = sub.proto
    for (staff, d, slot), var in m.work.items():
        value = values.get((staff, d, slot.shift, slot.skill), 0.0)
        if min(value, 1.0 - value) < 1e-6:
            domain = proto.variables[var.index].domain
            domain.clear()
            domain.extend([round(value), round(value)])
    sub.clear_hints()  # type: ignore[no-untyped-call]  # a warm start's hint is in the model
    proto.solution_hint.vars.extend(range(len(incumbent.values)))
    proto.solution_hint.values.extend(incumbent.values)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    solver.parameters.max_time_in_seconds = max(0.05, deadline - time.monotonic())
    stop = _StopAt(bound)
    status = solver.solve(sub, stop)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return Incumbent(list(solver.response_proto.solution), solver.objective_value, time.monotonic() - started)


class _StopAt(cp_model.CpSolverSolutionCallback):
    """Stops the search once a solution costs no more than ``bound`` (it is optimal)."""

    def __init__(self, bound: float) -> None:
        super().__init__()
        self._bound = bound

    def on_solution_callback(self) -> None:
        if self.objective_value <= self._bound + 1e-6:
            self.stop_search()
