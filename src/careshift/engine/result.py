"""What a solve returns: the roster, how good it is, and why it costs what it costs."""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from careshift.domain.checker import CheckReport
from careshift.domain.problem import RosterProblem
from careshift.domain.schedule import Schedule


@dataclass(frozen=True)
class PenaltyLine:
    """One charged penalty term of the returned roster."""

    rule_id: str
    family: str
    amount: int
    penalty: int
    staff: str | None = None
    day: date | None = None
    label: str = ""


@dataclass(frozen=True)
class Progress:
    """An improving roster found during the search."""

    objective: int
    bound: float
    wall_time: float


@dataclass(frozen=True)
class SolveResult:
    """The outcome of one solve.

    ``status`` is CP-SAT's (``OPTIMAL``, ``FEASIBLE``, ``INFEASIBLE``, ``UNKNOWN``,
    ``MODEL_INVALID``) or ``FALLBACK`` for the greedy roster. ``objective`` is the model's
    objective for ``schedule``, which equals the checker's cost of it. ``best_bound`` is a
    proven lower bound on the optimum. ``time_to_best`` is the wall time when the returned
    roster was first found. ``route`` says what produced it: ``whole_model`` (CP-SAT on
    the whole model, then its neighbourhood search), ``lines`` (built and improved one
    person at a time, ``engine.lines``; no bound beyond 0) or ``fallback``. ``search``
    says what the search did (counters by name, e.g. the column phase's rounds and
    whether it converged), for the logs and the benchmark tables.
    """

    status: str
    schedule: Schedule | None
    objective: int | None
    best_bound: float
    wall_time: float
    time_to_best: float | None
    penalties: tuple[PenaltyLine, ...]
    solver_version: str
    parameters: tuple[tuple[str, str], ...]
    input_hash: str
    fallback: bool = False
    route: str = "whole_model"
    search: tuple[tuple[str, str], ...] = ()

    @property
    def gap(self) -> float | None:
        """Relative gap between the objective and the bound (0 when proven optimal)."""
        if self.objective is None:
            return None
        if self.objective == 0:
            return 0.0
        return max(0.0, (self.objective - self.best_bound) / abs(self.objective))

    @property
    def feasible(self) -> bool:
        return self.schedule is not None

    def cost_by_rule(self) -> dict[str, int]:
        return _total(self.penalties, lambda line: line.rule_id)

    def cost_by_family(self) -> dict[str, int]:
        return _total(self.penalties, lambda line: line.family)

    def cost_by_staff(self) -> dict[str, int]:
        return _total(self.penalties, lambda line: line.staff or "")

    def cost_by_day(self) -> dict[str, int]:
        return _total(self.penalties, lambda line: line.day.isoformat() if line.day else "")


def penalty_lines(report: CheckReport) -> tuple[PenaltyLine, ...]:
    """The checker's soft findings as penalty lines (for rosters not read off a model)."""
    return tuple(
        PenaltyLine(v.rule_id, v.family, v.amount, v.penalty, v.staff, v.day, v.reason)
        for v in report.violations
        if not v.hard
    )


def _total(lines: tuple[PenaltyLine, ...], key: object) -> dict[str, int]:
    totals: Counter[str] = Counter()
    for line in lines:
        totals[key(line)] += line.penalty  # type: ignore[operator]
    return dict(totals)


def input_hash(problem: RosterProblem) -> str:
    """A stable SHA-256 of the problem's content, independent of set ordering and process."""
    return hashlib.sha256(repr(_canonical(problem)).encode()).hexdigest()


def _canonical(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            tuple(
                (f.name, _canonical(getattr(value, f.name)))
                for f in dataclasses.fields(value)
                if not f.name.startswith("_")
            ),
        )
    if isinstance(value, Mapping):
        return tuple(sorted((repr(_canonical(k)), repr(_canonical(v))) for k, v in value.items()))
    if isinstance(value, frozenset | set):
        return tuple(sorted(repr(_canonical(item)) for item in value))
    if isinstance(value, tuple | list):
        return tuple(_canonical(item) for item in value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value
