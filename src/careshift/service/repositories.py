"""Ports of the decision service: what it needs from storage, the solver and the clock.

The store branch's :mod:`careshift.service.ports` covers the event log and projections;
this module covers what decisions add: recommendations, decisions, approved schedules,
unit modes, the write-back outbox and the audit chain, all changed together inside one
:class:`UnitOfWork`. :mod:`careshift.service.memory` implements every port in memory (unit
tests, the embedded demo); :mod:`careshift.adapters.store.decisions` on SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Any, Protocol, Self

from careshift.domain.checker import CheckReport
from careshift.domain.decisions import Decision
from careshift.domain.problem import RosterProblem
from careshift.domain.recommendations import Recommendation, UnitMode
from careshift.domain.schedule import Schedule
from careshift.engine.result import SolveResult
from careshift.service.autopolicy import AutoThresholds
from careshift.service.forecasts import ForecastRepository
from careshift.telemetry.audit import AuditStore

Clock = Callable[[], datetime]
"""Returns the current, timezone-aware instant (injected so tests control time)."""


class RecommendationStatus(StrEnum):
    """Where a recommendation is in its life: proposed, decided, approved, or replaced."""

    SHADOW = "shadow"  # computed in shadow mode: logged, never shown for a decision
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    OVERRIDDEN = "overridden"
    DEFERRED = "deferred"
    APPROVED = "approved"
    SUPERSEDED = "superseded"  # a newer recommendation for the unit replaced it before a decision


@dataclass(frozen=True)
class CheckSummary:
    """The checker's verdict on a proposed roster, small enough to show in every response."""

    feasible: bool
    hard_violations: int
    cost: int
    hard_rules: tuple[str, ...] = ()

    @classmethod
    def of(cls, report: CheckReport) -> CheckSummary:
        rules = tuple(sorted({v.rule_id for v in report.hard_violations}))
        return cls(report.feasible, len(report.hard_violations), report.cost, rules)


@dataclass(frozen=True)
class StoredRecommendation:
    """A recommendation with the full proposed roster, its checker verdict and its status.

    ``version`` increases on every status change (optimistic concurrency: two people
    deciding at once cannot both win). ``fallback_reason`` says why the optimiser was not
    used (timeout, crash, quality gate) when ``produced_by`` is a fallback.
    """

    recommendation: Recommendation
    schedule: Schedule
    check: CheckSummary
    status: RecommendationStatus
    version: int = 1
    fallback_reason: str = ""

    @property
    def id(self) -> str:
        return self.recommendation.id

    @property
    def unit(self) -> str:
        return self.recommendation.unit


@dataclass(frozen=True)
class StoredDecision:
    """A decision with its sequence number in the decision log."""

    seq: int
    decision: Decision
    unit: str


@dataclass(frozen=True)
class ApprovedSchedule:
    """The roster of ``unit`` as last approved (step three of the fallback chain)."""

    unit: str
    schedule: Schedule
    recommendation_id: str
    approved_at: datetime
    approved_by: str


class OutboxState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"  # gave up after the retry budget; an operator must look


@dataclass(frozen=True)
class OutboxMessage:
    """One change to send to the FHIR server, written in the same transaction as the approval.

    ``key`` is the business identifier of the change (stable across retries), ``body`` the
    intent (``action``: ``book`` or ``release``, with the assignment). ``result`` keeps
    what the server answered (resource id and version) once it is done.
    """

    key: str
    recommendation_id: str
    unit: str
    body: Mapping[str, Any]
    created_at: datetime
    state: OutboxState = OutboxState.PENDING
    attempts: int = 0
    last_error: str = ""
    result: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecommendationState:
    """Where a recommendation stands, without its content (what a decision needs)."""

    id: str
    unit: str
    status: RecommendationStatus
    version: int


class RecommendationRepository(Protocol):
    def add(self, item: StoredRecommendation) -> None: ...

    def get(self, recommendation_id: str) -> StoredRecommendation | None: ...

    def state(self, recommendation_id: str) -> RecommendationState | None:
        """The unit, status and version only (cheap: a recommendation's roster is not read)."""
        ...

    def set_status(self, recommendation_id: str, status: RecommendationStatus, expected_version: int) -> None:
        """Move the status on and bump the version; raise ``ConflictError`` if the version moved on."""
        ...

    def save(self, item: StoredRecommendation, expected_version: int) -> None:
        """Replace the stored item; raise ``ConcurrencyError`` if its version moved on."""
        ...

    def for_unit(
        self, unit: str, limit: int = 50, statuses: Collection[RecommendationStatus] | None = None
    ) -> list[StoredRecommendation]:
        """Newest first; only those in ``statuses`` when given."""
        ...


class DecisionRepository(Protocol):
    def add(self, decision: Decision, unit: str) -> StoredDecision: ...

    def record(
        self, decision: Decision, unit: str, status: RecommendationStatus, expected_version: int
    ) -> StoredDecision:
        """Add ``decision`` and move its recommendation to ``status`` (the next version) in one
        step, if it is still at ``expected_version``; ``ConflictError`` otherwise."""
        ...

    def for_recommendation(self, recommendation_id: str) -> list[StoredDecision]: ...

    def all(self, unit: str | None = None) -> list[StoredDecision]: ...


class ScheduleRepository(Protocol):
    def approved(self, unit: str) -> ApprovedSchedule | None: ...

    def save_approved(self, approved: ApprovedSchedule) -> None: ...


class UnitModeRepository(Protocol):
    def get(self, unit: str) -> UnitMode | None: ...

    def set(self, unit: str, mode: UnitMode) -> None: ...

    def all(self) -> dict[str, UnitMode]: ...

    def thresholds(self, unit: str) -> AutoThresholds | None:
        """The unit's auto-mode thresholds, ``None`` when never set (the defaults apply)."""
        ...

    def set_thresholds(self, unit: str, thresholds: AutoThresholds) -> None: ...


class OutboxRepository(Protocol):
    def add(self, message: OutboxMessage) -> None:
        """Add ``message`` unless one with its key exists (approving twice queues nothing new)."""
        ...

    def pending(self, limit: int = 100) -> list[OutboxMessage]:
        """Pending messages, oldest first."""
        ...

    def save(self, message: OutboxMessage) -> None: ...

    def all(self) -> list[OutboxMessage]: ...


class UnitOfWork(Protocol):
    """One transaction over every repository: all changes of a use case commit together."""

    @property
    def recommendations(self) -> RecommendationRepository: ...

    @property
    def decisions(self) -> DecisionRepository: ...

    @property
    def schedules(self) -> ScheduleRepository: ...

    @property
    def modes(self) -> UnitModeRepository: ...

    @property
    def outbox(self) -> OutboxRepository: ...

    @property
    def forecasts(self) -> ForecastRepository: ...

    @property
    def audit(self) -> AuditStore: ...

    def reading(self, recommendation_id: str) -> Self:
        """A hint, before ``with``: the state of this recommendation is read first (a store may
        fetch it while it begins the transaction). Returns the unit of work."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Roll back whatever was not committed."""
        ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True)
class PlanningInput:
    """What a plan or repair of one unit starts from.

    ``problem`` holds the unit's staff, shifts, cover and rules over the horizon, with
    called-out staff already marked unavailable; ``current`` is the live roster (``None``
    when planning from scratch); ``context`` names the forecast, census and feature-set
    versions behind the cover (stored with the recommendation).
    """

    problem: RosterProblem
    current: Schedule | None
    context: Mapping[str, str] = field(default_factory=dict)
    model_version: str | None = None
    feature_set: str | None = None


class PlanningData(Protocol):
    """Where planning inputs come from (projections, forecasts, policy packs)."""

    def units(self) -> list[str]: ...

    def planning_input(self, unit: str) -> PlanningInput:
        """The unit's problem and live roster now; raises ``DomainError`` for an unknown unit."""
        ...

    def coverage_template(self, unit: str) -> Schedule | None:
        """The unit's standing coverage pattern over the horizon (last step of the fallback chain)."""
        ...


class QualityGate(Protocol):
    """The data-quality gate's verdict for a unit: ``ok``, ``warn`` or ``block`` and why."""

    def verdict(self, unit: str) -> tuple[str, str]: ...


class Solver(Protocol):
    """Solves a roster problem within ``time_limit`` seconds.

    Raises ``SolverTimedOut`` when no answer came back in time and ``SolverFailed`` when the
    solver crashed or could not run; both are ``ServiceUnavailableError``.
    """

    def solve(self, problem: RosterProblem, *, hint: Schedule | None, time_limit: float) -> SolveResult: ...
