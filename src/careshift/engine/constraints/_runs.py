"""Runs of consecutive days (work, one shift, days off), shared by the sequence families.

Border rules follow ``careshift.domain.rules.sequence``: ``prior`` is the length of the
run the history says is open on the day before the horizon (``None`` when there is no
history, in which case a run touching day one is not charged for being short); a run
still open on the last day is never charged for being short.
"""

from __future__ import annotations

from collections.abc import Sequence

from ortools.sat.python.cp_model_helper import Literal

from careshift.domain.rules.base import Rule
from careshift.engine.model import EngineModel


def bound_runs(
    m: EngineModel,
    rule: Rule,
    literals: Sequence[Literal],
    minimum: int | None,
    maximum: int | None,
    prior: int | None,
    staff: str,
    what: str,
) -> None:
    """Keep every run of true ``literals`` between ``minimum`` and ``maximum`` days.

    Too long: for each day that ends a window of ``maximum + 1`` days all in the run,
    one unit (so a run of ``L`` days costs ``L − maximum``). Too short: each way a run of
    ``L < minimum`` days can be enclosed is a pattern worth ``minimum − L`` units.
    """
    if maximum is not None:
        _too_long(m, rule, literals, maximum, prior or 0, staff, what)
    if minimum is not None and minimum > 1:
        _too_short(m, rule, literals, minimum, prior, staff, what)


def _too_long(
    m: EngineModel, rule: Rule, literals: Sequence[Literal], maximum: int, prior: int, staff: str, what: str
) -> None:
    for end in range(len(literals)):
        start = end - maximum  # the window of maximum + 1 days ending on ``end``
        before = 0
        if start < 0:
            if prior < -start:
                continue  # the day before the history run is off, so this window cannot be all worked
            before = -start
        inside = literals[max(0, start) : end + 1]
        label = f"{what}[nurse={staff},day={end}]"
        if rule.hard:
            m.hard(rule, m.model.add(sum(inside) <= maximum - before), staff)
        else:
            excess = m.model.new_bool_var(f"too_long[{rule.id},{label}]")
            m.model.add(excess >= sum(inside) + before - maximum)
            m.penalise(rule, excess, 1, staff, end, label)


def _too_short(
    m: EngineModel,
    rule: Rule,
    literals: Sequence[Literal],
    minimum: int,
    prior: int | None,
    staff: str,
    what: str,
) -> None:
    horizon = len(literals)
    if prior is not None and 0 < prior < minimum:
        # the history run stops right at the border
        m.forbid(rule, [literals[0].Not()], minimum - prior, staff, 0, f"{what}[nurse={staff},day=0,length={prior}]")
    for start in range(horizon):
        if start == 0 and prior is None:
            continue  # no history: a run touching day one is never short
        carried = prior if start == 0 and prior is not None else 0
        for length in range(1, minimum - carried):
            end = start + length  # first day after the run; it must be inside the horizon
            if end >= horizon:
                break
            pattern = list(literals[start:end]) + [literals[end].Not()]
            if start > 0:
                pattern.insert(0, literals[start - 1].Not())
            label = f"{what}[nurse={staff},day={start},length={length + carried}]"
            m.forbid(rule, pattern, minimum - length - carried, staff, start, label)
