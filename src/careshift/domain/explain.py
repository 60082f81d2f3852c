"""Explanations computed from the objective breakdown before and after a change.

Nothing here is canned: each statement compares the checker's reports of the current and
the proposed schedule, family by family, and states the numbers ("reduces understaffing
on 4 West by 18 % (6.5 → 5.3 staff-hours)").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from careshift.domain.checker import CheckReport
from careshift.domain.recommendations import ReasonStatement

#: Families whose amount is understaffing (people missing); interval families are per 15 minutes.
UNDERSTAFFING = {"cover_target": 1.0, "cover_floor": 1.0, "interval_cover": 0.25, "nurse_to_patient_ratio": 0.25}
#: Families whose amount is minutes of work beyond a cap (overtime-like).
OVERTIME_MINUTES = {"rolling_worked_minutes", "worked_minutes"}


def _amounts(report: CheckReport, families: Iterable[str]) -> float:
    wanted = set(families)
    return sum(v.amount * UNDERSTAFFING.get(v.family, 1.0) for v in report.violations if v.family in wanted)


def _pct(before: float, after: float) -> str:
    return f"{abs(before - after) / before * 100:.0f} %" if before else "100 %"


def explain(before: CheckReport, after: CheckReport, unit: str) -> tuple[ReasonStatement, ...]:
    """Reason statements, most important first: hard breaches, understaffing, overtime, the rest."""
    statements: list[ReasonStatement] = []
    hard_before = Counter(v.rule_id for v in before.hard_violations)
    hard_after = Counter(v.rule_id for v in after.hard_violations)
    for rule_id in sorted(set(hard_before) | set(hard_after)):
        b, a = hard_before[rule_id], hard_after[rule_id]
        if a < b:
            statements.append(ReasonStatement("hard.removed", f"removes {b - a} breach(es) of {rule_id}", b, a))
        elif a > b:
            statements.append(ReasonStatement("hard.added", f"adds {a - b} breach(es) of {rule_id}", b, a))

    under_b, under_a = _amounts(before, UNDERSTAFFING), _amounts(after, UNDERSTAFFING)
    if under_a != under_b:
        verb = "reduces" if under_a < under_b else "increases"
        text = f"{verb} understaffing on {unit} by {_pct(under_b, under_a)} ({under_b:g} → {under_a:g} staff-hours)"
        statements.append(ReasonStatement("understaffing", text, under_b, under_a))
    elif under_a == 0 and under_b == 0:
        statements.append(ReasonStatement("cover.kept", f"keeps every cover floor and ratio on {unit}", 0, 0))

    over_b, over_a = _amounts(before, OVERTIME_MINUTES), _amounts(after, OVERTIME_MINUTES)
    if over_a < over_b:
        hours = (over_b - over_a) / 60
        statements.append(ReasonStatement("overtime.avoided", f"avoids {hours:g} h over hour limits", over_b, over_a))
    elif over_a > over_b:
        hours = (over_a - over_b) / 60
        statements.append(ReasonStatement("overtime.added", f"adds {hours:g} h over hour limits", over_b, over_a))

    if after.cost != before.cost:
        verb = "lowers" if after.cost < before.cost else "raises"
        text = f"{verb} total penalty {before.cost} → {after.cost}"
        statements.append(ReasonStatement("cost", text, before.cost, after.cost))
    return tuple(statements)
