"""Recommendations: proposed roster changes with the context and numbers behind them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from careshift.domain.errors import DomainError
from careshift.domain.schedule import Assignment
from careshift.domain.time import require_aware

CARD_SUMMARY_LIMIT = 140  # CDS Hooks: card summary is required and shorter than 140 characters


class UnitMode(StrEnum):
    """How far careshift may act on a unit (a feature flag per unit; every change is audited)."""

    OFF = "off"
    SHADOW = "shadow"  # compute and log only
    RECOMMEND = "recommend"  # show recommendations; humans act in the source systems
    APPROVE = "approve"  # approved recommendations are written back
    AUTO = "auto"  # low-risk, high-confidence decisions are applied without a click


class ProducedBy(StrEnum):
    """Which step of the fallback chain produced a recommendation."""

    OPTIMIZER = "optimizer"
    GREEDY_REPAIR = "greedy_repair"
    LAST_APPROVED = "last_approved"
    COVERAGE_TEMPLATE = "coverage_template"


@dataclass(frozen=True)
class ReasonStatement:
    """One computed reason: a code, the numbers, and the sentence built from them."""

    code: str
    text: str
    before: float | None = None
    after: float | None = None


@dataclass(frozen=True)
class Recommendation:
    """A proposed change to one unit's roster, with everything needed to trust or audit it."""

    id: str
    unit: str
    created_at: datetime
    added: tuple[Assignment, ...]
    removed: tuple[Assignment, ...]
    reasons: tuple[ReasonStatement, ...]
    produced_by: ProducedBy
    policy_version: str | None
    roster_version: str | None = None
    model_version: str | None = None
    feature_set: str | None = None
    cost_before: int | None = None
    cost_after: int | None = None
    context: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_aware(self.created_at, "recommendation time")
        if not self.added and not self.removed:
            raise DomainError(f"recommendation {self.id} changes nothing")

    @property
    def disruption(self) -> tuple[int, int]:
        """(people affected, assignments changed)."""
        people = {a.staff for a in self.added} | {a.staff for a in self.removed}
        return len(people), len(self.added) + len(self.removed)

    @property
    def summary(self) -> str:
        """The card summary: first reason, with the producing mode when it is a fallback (< 140 chars)."""
        head = self.reasons[0].text if self.reasons else f"{len(self.added)} added, {len(self.removed)} removed"
        prefix = "" if self.produced_by is ProducedBy.OPTIMIZER else f"[{self.produced_by.value}] "
        text = f"{prefix}{self.unit}: {head}"
        if len(text) >= CARD_SUMMARY_LIMIT:
            text = text[: CARD_SUMMARY_LIMIT - 2].rstrip() + "…"
        return text
