"""Cover per shift (``problem.cover``): a hard floor and a soft target and cap."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, ClassVar

from careshift.domain.demand import ShiftCover
from careshift.domain.rules.base import Finding, Rule, RuleSpec

if TYPE_CHECKING:
    from careshift.domain.checker import CheckContext

_CoverKey = tuple[date, str, str | None, str | None]


def _staffed(ctx: CheckContext) -> Counter[_CoverKey]:
    """People per (day, shift, skill, unit), with ``None`` meaning "any", shared by both
    cover families through the context cache."""
    cached = ctx._cache.get("cover.staffed")
    if isinstance(cached, Counter):
        return cached
    counts: Counter[_CoverKey] = Counter()
    for item in ctx.schedule:
        if item.day not in ctx.problem.horizon:
            continue
        for skill in {item.skill, None}:
            for unit in {item.unit, None}:
                counts[(item.day, item.shift, skill, unit)] += 1
    ctx._cache["cover.staffed"] = counts
    return counts


def _lines(rule: Rule, ctx: CheckContext) -> Iterator[tuple[ShiftCover, int]]:
    staffed = _staffed(ctx)
    for line in ctx.problem.cover:
        if rule.scope.covers_unit(line.unit) and rule.in_effect(line.day):
            yield line, staffed[(line.day, line.shift, line.skill, line.unit)]


def _label(line: ShiftCover) -> str:
    parts = [line.shift, line.skill or "", f"on {line.unit}" if line.unit else ""]
    return " ".join(part for part in parts if part)


@dataclass(frozen=True)
class CoverFloor(RuleSpec):
    """At least ``floor`` staff per (day, shift, skill, unit) line (INRC-II H2). An
    assignment counts for the line whose skill equals its ``skill`` (any assignment when
    the line's skill is None) and whose unit matches (or is None).
    Amount: people missing below the floor. Hard."""

    family: ClassVar[str] = "cover_floor"
    title: ClassVar[str] = "Minimum cover"

    def violations(self, rule: Rule, ctx: CheckContext) -> Iterator[Finding]:
        for line, staffed in _lines(rule, ctx):
            if staffed < line.floor:
                yield Finding(
                    amount=line.floor - staffed,
                    day=line.day,
                    detail=f"{_label(line)}: {staffed} staff, floor {line.floor}",
                )


@dataclass(frozen=True)
class CoverTarget(RuleSpec):
    """Staff per line at ``target`` and no more than ``cap`` (INRC-II S1; Curtois cover).
    Amount: people missing below target (factor ``weight_under``) and people above the
    cap (factor ``weight_over``). Soft."""

    family: ClassVar[str] = "cover_target"
    title: ClassVar[str] = "Optimal cover"

    def violations(self, rule: Rule, ctx: CheckContext) -> Iterator[Finding]:
        for line, staffed in _lines(rule, ctx):
            if staffed < line.target:
                yield Finding(
                    amount=line.target - staffed,
                    day=line.day,
                    factor=line.weight_under,
                    detail=f"{_label(line)}: {staffed} staff, target {line.target}",
                )
            if line.cap is not None and staffed > line.cap:
                yield Finding(
                    amount=staffed - line.cap,
                    day=line.day,
                    factor=line.weight_over,
                    detail=f"{_label(line)}: {staffed} staff, cap {line.cap}",
                )
