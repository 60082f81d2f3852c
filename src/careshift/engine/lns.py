"""Large-neighbourhood search around the incumbent roster.

Each step frees a neighbourhood (a few staff over the whole horizon, every staff over a
window of days, or a few more staff over a wider window), fixes every other ``work``
variable to its incumbent value, hints the incumbent and lets CP-SAT re-optimise. The
result replaces the incumbent when it costs no more (equal moves let the search drift
across plateaus). The neighbourhood grows after steps that closed their sub-problem
and shrinks after steps that ran out of time, so each step stays short.

Why not just CP-SAT's own LNS: with two workers CP-SAT runs one full-problem worker and
time-shares the second among about ten helpers; on the Curtois–Qu set these staff and day
neighbourhoods, solved to optimality in well under a second each, improve much faster
(see docs/adr/0003-engine-model-and-search.md).
"""

from __future__ import annotations

import functools
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from ortools.sat.python import cp_model

from careshift.engine.model import EngineModel


@dataclass
class LnsStats:
    """Counters of one LNS run (for the ADR and the logs)."""

    steps: int = 0
    improved: int = 0
    closed: int = 0
    kicks: int = 0
    improved_by_kind: dict[str, int] = field(default_factory=dict)
    steps_by_kind: dict[str, int] = field(default_factory=dict)


@dataclass
class Incumbent:
    """A full solution vector of the model (one value per proto variable) and its objective."""

    values: list[int]
    objective: float
    found_at: float


KINDS = ("staff", "window", "staff_window", "costly_staff", "costly_window")

#: Sizes are kept per kind; ``guided`` runs only with a guide (see ``improve``).
ALL_KINDS = (*KINDS, "guided")


K = TypeVar("K")


@dataclass(frozen=True)
class _Hotspots:
    """Where the incumbent pays: penalty per staff member and per day."""

    staff: dict[str, float]
    days: dict[int, float]


def _value(values: Sequence[int], literal: object) -> int:
    index = getattr(literal, "index", None)
    if not isinstance(index, int):
        return 0
    return values[index] if index >= 0 else 1 - values[-index - 1]


def hotspots(m: EngineModel, values: Sequence[int]) -> _Hotspots:
    """Penalty per staff member and per day of a solution vector (plain-variable terms)."""
    staff: dict[str, float] = {}
    days: dict[int, float] = {}
    index = {day: d for d, day in enumerate(m.days)}
    for penalty in m.penalties:
        amount = _value(values, penalty.amount) * penalty.coefficient
        if amount <= 0:
            continue
        if penalty.staff is not None:
            staff[penalty.staff] = staff.get(penalty.staff, 0.0) + amount
        if penalty.day is not None:
            days[index[penalty.day]] = days.get(index[penalty.day], 0.0) + amount
    return _Hotspots(staff, days)


def _unsure(
    guide: Mapping[int, float], by_staff: Mapping[str, list[tuple[int, int]]], values: Sequence[int], staff: str
) -> set[int]:
    """The days on which ``guide`` differs from ``values`` for some ``work`` variable of ``staff``."""
    return {d for d, index in by_staff.get(staff, ()) if abs(guide.get(index, 0.0) - values[index]) > 1e-6}


def _pick(rng: random.Random, weights: Mapping[K, float]) -> K | None:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[key] for key in keys])[0] if keys else None


def _neighbourhood(
    m: EngineModel,
    rng: random.Random,
    kind: str,
    size: float,
    hot: _Hotspots,
    unsure: Callable[[str], set[int]] | None = None,
    span: range | None = None,
) -> set[tuple[str, int]]:
    """(staff, day) pairs left free in this step; ``size`` counts staff (or, for a window
    of every staff member, days scaled so the free area is comparable). The ``costly``
    kinds start from a staff member or a day where the incumbent pays, drawn in
    proportion to what it pays there. ``guided`` takes three times as many staff as
    ``staff`` but frees only their days ``unsure`` names (where a guide, the LP of the
    column phase, is fractional or disagrees with the incumbent). ``span`` (default: every
    day) holds the day indexes a neighbourhood may free."""
    staff = [member.id for member in m.problem.staff]
    span = range(len(m.days)) if span is None else span
    horizon = len(span)
    if kind == "guided" and unsure is not None:
        chosen = rng.sample(staff, max(1, min(len(staff), round(size * 3))))
        return {(s, d) for s in chosen for d in unsure(s)}
    if kind == "costly_staff" and hot.staff:
        first = str(_pick(rng, hot.staff))
        others = rng.sample([s for s in staff if s != first], max(0, min(len(staff) - 1, round(size) - 1)))
        return {(s, d) for s in [first, *others] for d in span}
    if kind in ("costly_window", "costly_staff", "window"):
        width = max(2, min(horizon, round(size * horizon / max(1, len(staff)))))
        days = {d: paid for d, paid in hot.days.items() if d in span}
        centre = _pick(rng, days) if kind != "window" else None
        if isinstance(centre, int):
            start = min(max(0, centre - span.start - width // 2), horizon - width)
        else:
            start = rng.randrange(0, horizon - width + 1)
        return {(s, d) for s in staff for d in span[start : start + width]}
    if kind == "staff":
        chosen = rng.sample(staff, max(1, min(len(staff), round(size))))
        return {(s, d) for s in chosen for d in span}
    chosen = rng.sample(staff, max(1, min(len(staff), round(size * 2))))
    width = max(2, horizon // 2)
    start = rng.randrange(0, horizon - width + 1)
    return {(s, d) for s in chosen for d in span[start : start + width]}


def improve(
    m: EngineModel,
    incumbent: Incumbent,
    deadline: float,
    *,
    seed: int,
    workers: int,
    started: float,
    on_improve: Callable[[Incumbent], None] | None = None,
    step_limit: float = 5.0,
    sub_parameters: Mapping[str, object] | None = None,
    initial_share: float = 0.125,
    bound: float = float("-inf"),
    kinds: Sequence[str] = KINDS,
    kick_after: int | None = None,
    guide: Mapping[int, float] | None = None,
    span: range | None = None,
) -> tuple[Incumbent, LnsStats]:
    """Improve ``incumbent`` by LNS until ``deadline`` (a ``time.monotonic`` value) or until
    it reaches ``bound``, a proven lower bound (then it is optimal).

    ``workers`` threads each run their own neighbourhoods with a one-worker CP-SAT solve
    (CP-SAT releases the GIL), sharing the incumbent: on two cores two independent small
    solves beat one two-worker solve, which would spend its second worker on helpers.

    ``kick_after`` (off by default: in our measurements it did not beat plain LNS, see
    ADR 0003) turns odd threads into iterated local search: they keep their own roster and,
    after that many steps without progress, restart from the best roster and re-solve a
    neighbourhood forced to change at least a fifth of its assignments.

    ``span`` (default: the whole horizon) holds the day indexes the neighbourhoods may
    free; days outside it keep the incumbent's values (a cut's held margins, ``engine.windows``).
    """
    # the LP at level 2 (every clause in the relaxation) pays off on these small sub-problems
    sub_parameters = sub_parameters if sub_parameters is not None else {"linearization_level": 2}
    state = _Shared(incumbent, LnsStats(), threading.Lock())
    work_index = [(staff, d, var.index) for (staff, d, _slot), var in m.work.items()]
    guide_index: dict[str, list[tuple[int, int]]] = {}
    for staff, d, index in work_index:
        guide_index.setdefault(staff, []).append((d, index))

    def run(thread: int) -> None:
        rng = random.Random(seed * 1000 + thread)
        sizes = dict.fromkeys(ALL_KINDS, max(2.0, len(m.problem.staff) * initial_share))
        # odd threads walk on their own (iterated local search): after ``kick_after`` steps
        # without progress they restart from the best roster and force a different one in
        # a neighbourhood, so a deep local optimum does not hold both threads
        walker = kick_after is not None and thread % 2 == 1
        mine: Incumbent | None = None
        stall = 0
        while time.monotonic() < deadline - 0.05 and state.incumbent.objective > bound + 1e-6:
            kind = rng.choice(list(kinds))
            kick = walker and kick_after is not None and stall >= kick_after
            with state.lock:
                shared = state.incumbent
                current = shared if (mine is None or kick) else mine
                if current is shared:
                    if state.hot_for is not current:
                        state.hot = hotspots(m, current.values)
                        state.hot_for = current
                    hot = state.hot
                state.stats.steps += 1
                state.stats.steps_by_kind[kind] = state.stats.steps_by_kind.get(kind, 0) + 1
            if current is not shared:
                hot = hotspots(m, current.values)
            unsure = None if guide is None else functools.partial(_unsure, guide, guide_index, current.values)
            free = _neighbourhood(m, rng, kind, sizes[kind], hot, unsure, span)
            sub = m.model.clone()
            proto = sub.proto
            moved = []
            for staff, d, index in work_index:
                if (staff, d) not in free:
                    domain = proto.variables[index].domain
                    value = current.values[index]
                    domain.clear()
                    domain.extend([value, value])
                elif kick:
                    var = sub.get_bool_var_from_proto_index(index)
                    moved.append(var.Not() if current.values[index] else var)
            if kick:
                ones = sum(current.values[index] for staff, d, index in work_index if (staff, d) in free)
                sub.add(sum(moved) >= max(4, ones // 5))
            sub.clear_hints()  # type: ignore[no-untyped-call]  # a warm start's hint is in the model
            proto.solution_hint.vars.extend(range(len(current.values)))
            proto.solution_hint.values.extend(current.values)
            solver = cp_model.CpSolver()
            solver.parameters.num_workers = 1
            for name, setting in sub_parameters.items():
                setattr(solver.parameters, name, setting)
            solver.parameters.random_seed = rng.randrange(1 << 30)
            solver.parameters.max_time_in_seconds = max(0.05, min(step_limit, deadline - time.monotonic()))
            status = solver.solve(sub)
            # grow a kind of neighbourhood while its steps close, shrink it when they time out
            if not kick:
                if status == cp_model.OPTIMAL:
                    sizes[kind] = min(float(len(m.problem.staff)), sizes[kind] * 1.1)
                else:
                    sizes[kind] = max(1.0, sizes[kind] * 0.85)
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                stall += 1
                continue
            found = Incumbent(list(solver.response_proto.solution), solver.objective_value, time.monotonic() - started)
            if kick:
                mine, stall = found, 0
                state.stats.kicks += 1
                continue
            stall = 0 if found.objective < current.objective else stall + 1
            if walker and found.objective <= current.objective:
                mine = found
            with state.lock:
                state.stats.closed += status == cp_model.OPTIMAL
                best = state.incumbent
                if found.objective > best.objective:
                    continue
                better = found.objective < best.objective
                state.incumbent = found if better else Incumbent(found.values, found.objective, best.found_at)
                if better:
                    state.stats.improved += 1
                    state.stats.improved_by_kind[kind] = state.stats.improved_by_kind.get(kind, 0) + 1
                    if on_improve is not None:
                        on_improve(state.incumbent)

    threads = [threading.Thread(target=run, args=(index,), daemon=True) for index in range(max(1, workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return state.incumbent, state.stats


@dataclass
class _Shared:
    incumbent: Incumbent
    stats: LnsStats
    lock: threading.Lock
    hot: _Hotspots = field(default_factory=lambda: _Hotspots({}, {}))
    hot_for: Incumbent | None = None
