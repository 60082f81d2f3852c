"""What every rule has, whatever its family.

A rule is data: an id, a family-specific ``spec`` (frozen dataclass of parameters), a
level (hard, or soft with a weight), a scope (which units, roles, contracts, staff it
binds), where and when it applies, where it comes from, and a reason-code template the
explanations fill in. The family's ``violations`` method is the rule's meaning: it is
what the checker evaluates, and the engine's constraint builder must agree with it.

Penalty of a finding = ``rule.weight × finding.factor × finding.amount`` for a soft rule.
A hard rule's findings are infeasibilities; they carry no cost, only a count.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, ClassVar

from careshift.domain.errors import DomainError

if TYPE_CHECKING:
    from careshift.domain.checker import CheckContext
    from careshift.domain.workforce import Staff


@dataclass(frozen=True)
class Scope:
    """Which staff and units a rule binds. An empty set means "all"."""

    units: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    contracts: frozenset[str] = frozenset()
    staff: frozenset[str] = frozenset()

    def covers(self, member: Staff) -> bool:
        return (
            (not self.staff or member.id in self.staff)
            and (not self.contracts or member.contract_id in self.contracts)
            and (not self.roles or bool(self.roles & member.roles))
            and (not self.units or member.home_unit in self.units)
        )

    def covers_unit(self, unit: str | None) -> bool:
        return not self.units or unit in self.units


@dataclass(frozen=True)
class Finding:
    """One breach found by a rule family, before the rule's weight is applied.

    ``amount`` is in the family's natural unit (days, shifts, minutes, people);
    ``factor`` is a per-record weight carried by the data (a request's weight, a cover
    line's under/over weight).
    """

    amount: int
    staff: str | None = None
    day: date | None = None
    at: datetime | None = None
    factor: int = 1
    detail: str = ""


class RuleSpec:
    """Base of the family-specific parameter dataclasses.

    Subclasses are frozen dataclasses with a ``family`` (the policy-file name) and a
    ``title`` (what a charge nurse reads), and implement ``violations``.
    """

    family: ClassVar[str]
    title: ClassVar[str]

    def violations(self, rule: Rule, ctx: CheckContext) -> Iterator[Finding]:
        raise NotImplementedError(f"rule family {self.family!r} has no checker yet")


@dataclass(frozen=True)
class Rule:
    """A rule instance: a family spec plus level, scope, provenance and reason template.

    ``reason`` is a ``str.format`` template with the fields ``{rule}``, ``{staff}``,
    ``{day}``, ``{amount}``, ``{detail}``, e.g. ``"{staff} works {amount} days in a row"``.
    """

    id: str
    spec: RuleSpec
    hard: bool = True
    weight: int = 1
    scope: Scope = field(default_factory=Scope)
    jurisdiction: str = ""
    effective_from: date | None = None
    effective_to: date | None = None
    citation: str = ""
    reason: str = ""
    priority: int = 100

    def __post_init__(self) -> None:
        if self.weight < 0:
            raise DomainError(f"rule {self.id}: weight must be >= 0, got {self.weight}")
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise DomainError(f"rule {self.id}: effective_to is before effective_from")

    @property
    def family(self) -> str:
        return self.spec.family

    @property
    def title(self) -> str:
        return self.spec.title

    def in_effect(self, day: date) -> bool:
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or day <= self.effective_to
        )

    def reason_text(self, finding: Finding) -> str:
        template = self.reason or "{rule}: {detail}"
        return template.format(
            rule=self.title,
            staff=finding.staff or "",
            day=finding.day.isoformat() if finding.day else (finding.at.isoformat() if finding.at else ""),
            amount=finding.amount,
            detail=finding.detail,
        )
