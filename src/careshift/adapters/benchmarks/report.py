"""Check a benchmark solution from its files and group the result the way the benchmark's own
validator reports it (INRC-II category names; Curtois–Qu by rule family)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from careshift.domain.checker import CheckReport, check
from careshift.domain.problem import RosterProblem
from careshift.domain.rules import CATALOGUE


@dataclass(frozen=True)
class CategoryReport:
    """A check report grouped by category: violation counts (hard) and cost (soft)."""

    instance: str
    hard: dict[str, int]
    soft: dict[str, int]
    total: int
    hard_details: tuple[str, ...]

    @property
    def feasible(self) -> bool:
        return not any(self.hard.values())

    def as_dict(self) -> dict[str, object]:
        return {
            "instance": self.instance,
            "feasible": self.feasible,
            "hard_violations": self.hard,
            "cost_per_category": self.soft,
            "total_cost": self.total,
            "hard_violation_details": list(self.hard_details),
        }


def categorise(
    instance: str,
    report: CheckReport,
    hard_names: dict[str, str],
    soft_names: dict[str, str],
) -> CategoryReport:
    """Group ``report`` by category: families mapped by ``hard_names``/``soft_names``; a
    family missing from the maps is shown under its own name. Every mapped category is
    listed, with 0 when nothing was found. Hard categories count violation amounts."""
    hard: Counter[str] = Counter(dict.fromkeys(hard_names.values(), 0))
    soft: Counter[str] = Counter(dict.fromkeys(soft_names.values(), 0))
    for violation in report.violations:
        if violation.hard:
            hard[hard_names.get(violation.family, violation.family)] += violation.amount
        else:
            soft[soft_names.get(violation.family, violation.family)] += violation.penalty
    details = tuple(f"{v.rule_id}: {v.reason}" for v in report.hard_violations)
    return CategoryReport(instance, dict(hard), dict(soft), report.cost, details)


def family_titles(problem: RosterProblem) -> tuple[dict[str, str], dict[str, str]]:
    """(hard, soft) category names for a problem's rules: each family's display title."""
    hard = {rule.family: CATALOGUE[rule.family].title for rule in problem.rules if rule.hard}
    soft = {rule.family: CATALOGUE[rule.family].title for rule in problem.rules if not rule.hard}
    return hard, soft


def check_inrc2(
    instance: Path | str, history: int | str | Path, weeks: Sequence[int] | str, solution: Path | str
) -> CategoryReport:
    """Check the per-week solution files in ``solution`` against an INRC-II static instance,
    grouped under the official validator's category names."""
    from careshift.adapters.benchmarks import inrc2

    week_numbers = inrc2.parse_weeks(weeks) if isinstance(weeks, str) else tuple(weeks)
    problem = inrc2.read_instance(instance, history, week_numbers)
    schedule = inrc2.read_solution(problem, solution, inrc2.dataset_of(instance), week_numbers)
    return categorise(problem.name, check(problem, schedule), inrc2.HARD_CATEGORIES, inrc2.SOFT_CATEGORIES)


def check_curtois(instance: Path | str, solution: Path | str) -> CategoryReport:
    """Check a roster file (``curtois`` module format) against a Curtois–Qu instance."""
    from careshift.adapters.benchmarks import curtois

    problem = curtois.read_instance(instance)
    schedule = curtois.read_solution(problem, solution)
    hard, soft = family_titles(problem)
    return categorise(problem.name, check(problem, schedule), hard, soft)


__all__ = ["CategoryReport", "categorise", "check_curtois", "check_inrc2", "family_titles"]
