"""Solve a roster problem with CP-SAT and return a checked, explained result."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from careshift.domain.checker import check
from careshift.domain.errors import DomainError, InfeasibleError
from careshift.domain.problem import RosterProblem
from careshift.domain.schedule import Assignment, Schedule
from careshift.domain.workforce import StaffHistory
from careshift.engine.build import ExtraConstraints, build_model
from careshift.engine.columns import COLUMNS_LIMIT, Shares, complete, improve_by_columns
from careshift.engine.lines import LARGE, LineSearch, separable, work_count
from careshift.engine.lns import KINDS, Incumbent, improve
from careshift.engine.model import EngineModel
from careshift.engine.result import PenaltyLine, Progress, SolveResult, input_hash, penalty_lines
from careshift.engine.split import LOOKAHEAD, boundaries, carry, part, splittable
from careshift.engine.windows import CUT_LIMIT, cut_size, improve_by_cuts, windowable

ProgressCallback = Callable[[Progress], None]

#: Shares of the time limit for the column phase: column generation until 50 %, CP-SAT
#: with the LP's integral values fixed for 10 % more, then (only if that ended before
#: 40 %) diving until 75 % and the master MIP for 10 % more but not after 80 % (ADR 0003);
#: right after convergence, the exact master over every line within the certificate's
#: budget until 75 %, each ceiling for at most 25 % (``ColumnGeneration.exact``,
#: nineteenth round: on Instance5 the three ceilings took 0.1, 2.8 and 11.4 s of CP-SAT).
COLUMN_SHARES = (0.5, 0.1, 0.4, 0.75, 0.8, 0.75, 0.25)

#: Share of the time limit the parts of a long horizon take together (``engine.split``),
#: each an equal piece of it; the rest goes to the whole model's LNS from their roster.
PARTS_SHARE = 0.7

#: Share of the time limit by which the person-by-person route stops its own improvement
#: and improves the roster a few weeks at a time (``engine.windows``), when it can.
LINES_SHARE = 0.6


@dataclass(frozen=True)
class SolveOptions:
    """How to solve.

    ``workers`` is always set explicitly on the solver (CP-SAT would otherwise take every
    core). ``hint`` warm-starts the search from a roster (the current or previous one).
    ``parameters`` are extra CP-SAT parameters by name, applied last. ``strategy`` is
    ``"lns"`` (CP-SAT on the whole problem for ``lns_start`` of the time, then our
    neighbourhood search around its best roster; one person at a time instead, see
    ``engine.lines``, when no hard rule couples people and the whole model is too big
    or has no roster after its share), ``"cpsat"`` (CP-SAT alone) or ``"lines"`` (one
    person at a time only). One person at a time hands over to cuts of a few weeks with
    everyone in them (``engine.windows``) after ``LINES_SHARE`` of the time, where the
    problem allows (``windowable``) and a cut is at most ``CUT_LIMIT`` variables.
    ``extra`` adds a caller's own constraints to the model before the search (see
    ``build_model``); the problem's frozen days are always honoured.
    ``columns`` runs the column phase (``engine.columns``: a bound from column generation
    and rosters from its LP) between CP-SAT and the LNS; None: when cover is the only rule
    coupling people (hard cover too) and the model has at most ``COLUMNS_LIMIT`` ``work``
    variables.
    ``parts`` solves a long horizon in parts of four weeks, each from where the one before
    ended, and then improves their roster on the whole (``engine.split``; ``lns`` only); None:
    when the problem allows it (``split.splittable``), cover is the only rule coupling people,
    and there is no hint or extra constraint. True on a problem that does not allow it, or
    with extra constraints, is an error; a hint is not used by the parts.
    """

    time_limit: float = 10.0
    workers: int = 2
    seed: int = 0
    hint: Schedule | None = None
    progress: ProgressCallback | None = None
    log: bool = False
    parameters: Mapping[str, object] = field(default_factory=dict)
    strategy: str = "lns"
    lns_start: float = 0.1
    lns_kinds: tuple[str, ...] = KINDS
    extra: ExtraConstraints | None = None
    columns: bool | None = None
    parts: bool | None = None


class _Recorder(cp_model.CpSolverSolutionCallback):
    """Records when each improving roster was found and passes progress on."""

    def __init__(self, started: float, progress: ProgressCallback | None) -> None:
        super().__init__()
        self.started = started
        self.progress = progress
        self.best: float | None = None
        self.time_to_best: float | None = None

    def on_solution_callback(self) -> None:
        objective = self.objective_value
        if self.best is None or objective < self.best:
            self.best = objective
            self.time_to_best = time.monotonic() - self.started
            if self.progress is not None:
                self.progress(Progress(round(objective), self.best_objective_bound, self.time_to_best))


def solver_parameters(options: SolveOptions) -> cp_model.CpSolver:
    """A CP-SAT solver configured from ``options``."""
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.max_time_in_seconds = options.time_limit
    params.num_workers = options.workers
    params.random_seed = options.seed
    params.log_search_progress = options.log
    for name, value in options.parameters.items():
        setattr(params, name, value)
    return solver


def hint_schedule(m: EngineModel, schedule: Schedule) -> None:
    """Hint every ``work`` variable from ``schedule`` (1 if assigned, else 0)."""
    chosen = {(a.staff, a.day, a.shift, a.skill) for a in schedule}
    for (staff, d, slot), var in m.work.items():
        m.model.add_hint(var, (staff, m.days[d], slot.shift, slot.skill) in chosen)


def hinted_incumbent(m: EngineModel, hint: Schedule, started: float, deadline: float) -> Incumbent | None:
    """``hint`` as the whole model's solution (penalties at their least), or None when it
    breaks a hard rule (or is not solved within 10 s and before ``deadline``)."""
    index = {day: d for d, day in enumerate(m.days)}
    worked = {(a.staff, index[a.day], a.shift, a.skill) for a in hint if a.day in index}
    return complete(m, worked, started, limit=min(10.0, deadline - time.monotonic()))


def extract_schedule(m: EngineModel, value: Callable[[cp_model.IntVar], int], source: str) -> Schedule:
    """The roster held by a solution (``value`` reads a variable)."""
    homes = {member.id: member.home_unit for member in m.problem.staff}
    return Schedule.of(
        (
            Assignment(staff, m.days[d], slot.shift, slot.skill, homes[staff])
            for (staff, d, slot), var in m.work.items()
            if value(var)
        ),
        source=source,
        policy_version=m.problem.policy_version,
    )


def exact_penalties(m: EngineModel, schedule: Schedule, workers: int = 1) -> tuple[int, tuple[PenaltyLine, ...]]:
    """The model's objective of ``schedule`` with every penalty variable at its least value.

    An incumbent may carry slack in a penalty variable (only ``>=`` ties it to its
    breach); fixing the roster and minimising once more removes it, so the objective we
    report is exactly what the rules charge. Raises ``InfeasibleError`` when the roster
    breaks a hard rule of the model.
    """
    fixed = m.model.clone()
    chosen = {
        (a.staff, m.problem.horizon.index(a.day), a.shift, a.skill) for a in schedule if a.day in m.problem.horizon
    }
    known = {(staff, d, slot.shift, slot.skill) for (staff, d, slot) in m.work}
    if not chosen <= known:
        raise InfeasibleError(f"roster holds assignments the model cannot make: {sorted(chosen - known)[:3]}")
    for (staff, d, slot), var in m.work.items():
        twin = fixed.get_bool_var_from_proto_index(var.index)
        fixed.add(twin == int((staff, d, slot.shift, slot.skill) in chosen))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.max_time_in_seconds = 60.0
    status = solver.solve(fixed)
    if status != cp_model.OPTIMAL:
        raise InfeasibleError(f"roster for {m.problem.name} breaks a hard rule ({solver.status_name(status)})")
    lines = []
    for penalty in m.penalties:
        amount = int(solver.value(penalty.amount))
        if amount:
            lines.append(
                PenaltyLine(
                    penalty.rule_id,
                    penalty.family,
                    amount,
                    amount * penalty.coefficient,
                    penalty.staff,
                    penalty.day,
                    penalty.label,
                )
            )
    return round(solver.objective_value), tuple(lines)


def solve(problem: RosterProblem, options: SolveOptions | None = None) -> SolveResult:
    """Build and solve the CP-SAT model of ``problem``.

    Returns the best roster found within ``options.time_limit`` with its objective (equal
    to the checker's cost), the proven bound, the penalty breakdown and the solver
    settings; ``schedule`` is ``None`` when no roster satisfies the hard rules in time.
    """
    options = options or SolveOptions()
    if options.strategy not in ("lns", "cpsat", "lines"):
        raise DomainError(f"unknown solve strategy {options.strategy!r}; use 'lns', 'cpsat' or 'lines'")
    started = time.monotonic()
    deadline = started + options.time_limit
    by_lines = options.extra is None and separable(problem)
    parts = options.parts
    if parts is None:
        parts = options.hint is None and options.extra is None and splittable(problem)
        parts = parts and separable(problem, hard_cover=True)
    search: list[tuple[str, str]] = []
    if options.strategy == "lns" and parts and options.extra is not None:
        raise DomainError("solving in parts cannot take extra constraints (their day indexes are the whole's)")
    if options.strategy == "lns" and parts:
        in_parts = solve_in_parts(problem, options, started, deadline)
        if isinstance(in_parts, SolveResult):
            return in_parts
        search.append(("parts_failed", in_parts))  # the whole model takes the time left
    if options.strategy == "lines" or (options.strategy == "lns" and by_lines and work_count(problem) > LARGE):
        # too big for the whole model (Curtois 21-24: no roster in 600 s, up to 6.5 GB):
        # build and improve the roster one person at a time
        return solve_by_lines(problem, options, started, deadline)
    m = build_model(problem, extra=options.extra)
    if options.hint is not None:
        hint_schedule(m, options.hint)
    first = options.time_limit if options.strategy == "cpsat" else options.time_limit * options.lns_start
    solver = solver_parameters(options)
    solver.parameters.max_time_in_seconds = max(0.01, first - (time.monotonic() - started))
    recorder = _Recorder(started, options.progress)
    status = solver.solve(m.model, recorder)
    bound = solver.best_objective_bound
    # the hinted roster itself, when it keeps the hard rules: the search starts from it at worst
    hinted = None
    if options.hint is not None and options.strategy == "lns" and status != cp_model.OPTIMAL:
        hinted = hinted_incumbent(m, options.hint, started, deadline)
    unknown = status == cp_model.UNKNOWN and hinted is None
    if unknown and options.strategy == "lns" and by_lines and time.monotonic() < deadline:
        # no roster from the whole model in its share: one person at a time for the rest
        return solve_by_lines(problem, options, started, deadline, bound=max(0.0, bound))
    if unknown and options.strategy == "lns" and time.monotonic() < deadline:
        # no roster yet: keep going on the whole problem until the first one
        solver.parameters.max_time_in_seconds = max(0.01, deadline - time.monotonic())
        solver.parameters.stop_after_first_solution = True
        status = solver.solve(m.model, recorder)
        bound = max(bound, solver.best_objective_bound)
    status_name = solver.status_name(status)
    values: list[int] | None = None
    time_to_best = recorder.time_to_best
    held_objective = 0.0  # the roster held: CP-SAT's first, the hint, then the LNS's
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        values = list(solver.response_proto.solution)
        held_objective = solver.objective_value
        search.append(("cpsat_first", f"{held_objective:.0f}"))
    if hinted is not None and (values is None or hinted.objective < held_objective):
        values, held_objective, time_to_best = hinted.values, hinted.objective, hinted.found_at
        status, status_name = cp_model.FEASIBLE, "FEASIBLE"
        search.append(("hinted", f"{held_objective:.0f}"))
    else:
        hinted = None  # CP-SAT's roster is the start
    if status == cp_model.FEASIBLE and options.strategy == "lns" and values is not None:
        incumbent = Incumbent(values, held_objective, time_to_best or 0.0)

        def report(found: Incumbent) -> None:
            if options.progress is not None:
                options.progress(Progress(round(found.objective), bound, found.found_at))

        if hinted is not None:
            report(incumbent)  # the search's start, better than any roster CP-SAT reported

        guide: dict[int, float] | None = None
        # the column phase also takes hard cover floors (INRC-II): rows of its master
        coupled_by_cover = options.extra is None and separable(problem, hard_cover=True)
        columns = options.columns
        if columns is None:
            columns = coupled_by_cover and work_count(problem) <= COLUMNS_LIMIT
        if columns and coupled_by_cover:
            shares = Shares(
                lp=started + COLUMN_SHARES[0] * options.time_limit,
                fixed=COLUMN_SHARES[1] * options.time_limit,
                dive_start=started + COLUMN_SHARES[2] * options.time_limit,
                dive=started + COLUMN_SHARES[3] * options.time_limit,
                mip=started + COLUMN_SHARES[4] * options.time_limit,
                exact=started + COLUMN_SHARES[5] * options.time_limit,
                exact_each=COLUMN_SHARES[6] * options.time_limit,
            )
            phase = improve_by_columns(
                m, incumbent, shares, seed=options.seed, workers=options.workers, started=started, on_improve=report
            )
            incumbent, guide = phase.incumbent, phase.guide
            if phase.bound is not None:
                bound = max(bound, phase.bound)
            done = phase.stats
            search += [
                ("column_rounds", str(done.iterations)),
                ("column_converged", str(done.converged)),
                ("column_pricing_s", f"{done.pricing_s:.0f}"),
                ("column_lp_s", f"{done.lp_s:.0f}"),
                ("column_mips", str(done.master_mips)),
                ("column_labelled", str(done.labelled)),
                ("column_bound", "–" if done.bound is None else f"{done.bound:.2f}"),
            ]
            if done.exact:
                search.append(("exact", ";".join(done.exact)))

        incumbent, lns = improve(
            m,
            incumbent,
            deadline,
            seed=options.seed,
            workers=options.workers,
            started=started,
            on_improve=report,
            bound=bound,
            kinds=options.lns_kinds if guide is None else (*options.lns_kinds, "guided"),
            guide=guide,
        )
        values, time_to_best, held_objective = incumbent.values, incumbent.found_at, incumbent.objective
        by_kind = ",".join(
            f"{kind}:{lns.improved_by_kind.get(kind, 0)}/{steps}" for kind, steps in sorted(lns.steps_by_kind.items())
        )
        search += [
            ("lns_steps", str(lns.steps)),
            ("lns_improved", str(lns.improved)),
            ("lns_closed", str(lns.closed)),
            ("lns_by_kind", by_kind),
        ]
        if incumbent.objective <= bound:
            status_name = "OPTIMAL"
    schedule = None
    objective = None
    lines: tuple[PenaltyLine, ...] = ()
    if values is not None:
        solution = values
        schedule = extract_schedule(m, lambda var: solution[var.index], "engine")
        objective, lines = exact_penalties(m, schedule)
        if status_name == "OPTIMAL":
            bound = float(objective)
        if options.progress is not None and objective < round(held_objective):
            # the search's roster carried slack in a penalty: the last progress reported
            # more than the result, so the caller hears of the result's cost too
            options.progress(Progress(objective, bound, time_to_best or 0.0))
    return SolveResult(
        status=status_name,
        schedule=schedule,
        objective=objective,
        best_bound=bound,
        wall_time=time.monotonic() - started,
        time_to_best=time_to_best,
        penalties=lines,
        solver_version=_version(),
        parameters=_describe(options),
        input_hash=input_hash(problem),
        search=tuple(search),
    )


def solve_in_parts(problem: RosterProblem, options: SolveOptions, started: float, deadline: float) -> SolveResult | str:
    """``problem`` solved in parts (``engine.split``), each from the history the one before
    left (solved with ``LOOKAHEAD`` days more, then cut), in ``PARTS_SHARE`` of the time; then
    the whole model's LNS (no column phase) from the parts' roster at once until ``deadline``. When a
    part has no roster in its time, which one (the caller then solves the whole as usual)."""
    if not splittable(problem):
        raise DomainError(f"problem {problem.name} cannot be solved in parts (see engine.split.splittable)")
    pieces = boundaries(problem)
    each = PARTS_SHARE * options.time_limit / len(pieces)
    history = {member.id: problem.history_of(member.id) or StaffHistory() for member in problem.staff}
    assignments: list[Assignment] = []
    costs: list[str] = []
    days = problem.horizon.days
    for start, length in pieces:
        # solved with a look at the next part's first days, which are then dropped
        ahead = min(length + LOOKAHEAD, len(days) - start)
        sub = part(problem, start, ahead, history)
        limit = min(each, deadline - time.monotonic())
        found = solve(sub, dataclasses.replace(options, time_limit=limit, progress=None, parts=False))
        if found.schedule is None:
            return f"days {start + 1}-{start + ahead}: {found.status}"
        costs.append(f"{found.objective}")
        kept = days[start : start + length]
        held = Schedule.of([a for a in found.schedule if a.day in kept])
        assignments.extend(held)
        history = carry(sub, held, kept)
    joined = Schedule.of(assignments, source="engine", policy_version=problem.policy_version)
    checked = check(problem, joined)
    joined_at = time.monotonic() - started
    if not checked.feasible:  # cannot happen: each part keeps the hard rules from its history
        raise InfeasibleError(f"the parts' roster of {problem.name} breaks {len(checked.hard_violations)} hard rule(s)")
    progress = options.progress
    if progress is not None:
        progress(Progress(checked.cost, 0.0, joined_at))

    def shifted(found: Progress) -> None:
        if progress is not None:
            progress(dataclasses.replace(found, wall_time=found.wall_time + joined_at))

    whole = solve(
        problem,
        dataclasses.replace(
            options,
            time_limit=max(0.01, deadline - time.monotonic()),
            hint=joined,
            progress=shifted,
            columns=False,
            parts=False,
            lns_start=0.0,  # the LNS from the parts' roster at once: CP-SAT's own first is far worse
        ),
    )
    record = (
        ("parts", "+".join(str(length) for _start, length in pieces)),
        ("part_costs", "+".join(costs)),
        ("parts_roster", str(checked.cost)),
    )
    if whole.schedule is None or whole.objective is None or whole.objective > checked.cost:
        # the whole model had no roster in its time (or only a worse one): keep the parts'
        whole = dataclasses.replace(
            whole,
            status="FEASIBLE",
            schedule=joined,
            objective=checked.cost,
            time_to_best=0.0,
            penalties=penalty_lines(checked),
        )
    return dataclasses.replace(
        whole,
        wall_time=time.monotonic() - started,
        time_to_best=None if whole.time_to_best is None else whole.time_to_best + joined_at,
        parameters=(*_describe(options), ("route", "parts")),
        route="parts",
        search=(*record, *whole.search),
    )


def solve_by_lines(
    problem: RosterProblem, options: SolveOptions, started: float, deadline: float, bound: float = 0.0
) -> SolveResult:
    """The roster built and improved one person at a time (``engine.lines``) until
    ``deadline``, or until ``LINES_SHARE`` of the time and then a few weeks at a time with
    everyone in them (``engine.windows``, where it applies); its objective is the checker's
    cost of it (no whole model to read it from). ``bound`` is a proven lower bound from an
    earlier whole-model solve, if any."""
    search = LineSearch(problem, seed=options.seed, workers=options.workers)
    found_at: list[float] = []

    def report(cost: int) -> None:
        found_at.append(time.monotonic() - started)
        if options.progress is not None:
            options.progress(Progress(cost, bound, found_at[-1]))

    schedule = None
    objective = None
    lines: tuple[PenaltyLine, ...] = ()
    status = "UNKNOWN"
    record: list[tuple[str, str]] = []
    if search.first(deadline):
        report(search.total())
        cuts = windowable(problem) and cut_size(problem) <= CUT_LIMIT
        own_until = min(deadline, started + LINES_SHARE * options.time_limit) if cuts else deadline
        search.improve(own_until, on_improve=report)
        schedule = search.schedule()
        record.append(("lines_solves", str(len(search.log))))
        if cuts and time.monotonic() < deadline - 1.0:
            try:
                schedule, stats = improve_by_cuts(
                    problem,
                    schedule,
                    deadline,
                    seed=options.seed,
                    workers=options.workers,
                    started=started,
                    on_improve=report,
                )
            except DomainError as error:  # a cut the engine cannot model: keep the lines' roster
                record.append(("cuts_failed", str(error)))
            else:
                record += [("cuts", str(stats.cuts)), ("cuts_improved", str(stats.improved))]
                record += [("cut_steps", str(stats.steps)), ("cuts_refused", str(stats.refused))]
        checked = check(problem, schedule)
        if not checked.feasible:
            raise InfeasibleError(
                f"person-by-person roster for {problem.name} breaks {len(checked.hard_violations)} hard rule(s)"
            )
        objective, lines, status = checked.cost, penalty_lines(checked), "FEASIBLE"
        if objective <= bound:
            status = "OPTIMAL"
    return SolveResult(
        status=status,
        schedule=schedule,
        objective=objective,
        best_bound=bound,
        wall_time=time.monotonic() - started,
        time_to_best=found_at[-1] if found_at else None,
        penalties=lines,
        solver_version=_version(),
        parameters=(*_describe(options), ("route", "lines")),
        input_hash=input_hash(problem),
        route="lines",
        search=tuple(record),
    )


def _version() -> str:
    from ortools.init.python import init

    return f"ortools {init.OrToolsVersion.version_string()}"


def _describe(options: SolveOptions) -> tuple[tuple[str, str], ...]:
    settings: dict[str, object] = {
        "max_time_in_seconds": options.time_limit,
        "num_workers": options.workers,
        "random_seed": options.seed,
        "hinted": options.hint is not None,
        "strategy": options.strategy,
        "lns_kinds": ",".join(options.lns_kinds),
        "columns": "auto" if options.columns is None else options.columns,
        **options.parameters,
    }
    return tuple((name, str(value)) for name, value in settings.items())
