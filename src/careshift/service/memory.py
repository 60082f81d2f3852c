"""In-memory implementations of the decision-service ports (unit tests, the embedded demo).

``MemoryUnitOfWork`` works on a copy of the shared ``MemoryState`` and publishes it on
``commit``, so a use case that fails half-way leaves nothing behind, as with a database.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Self

from careshift.domain.decisions import Decision
from careshift.domain.errors import DomainError
from careshift.domain.recommendations import UnitMode
from careshift.domain.schedule import Schedule
from careshift.service.autopolicy import AutoThresholds
from careshift.service.errors import ConflictError
from careshift.service.forecasts import StoredForecast
from careshift.service.repositories import (
    ApprovedSchedule,
    OutboxMessage,
    OutboxState,
    PlanningInput,
    RecommendationState,
    RecommendationStatus,
    StoredDecision,
    StoredRecommendation,
)
from careshift.telemetry.audit import AuditEntry, MemoryAuditStore


@dataclass
class MemoryState:
    """Everything the memory store holds; ``lock`` serialises units of work."""

    recommendations: dict[str, StoredRecommendation] = field(default_factory=dict)
    decisions: list[StoredDecision] = field(default_factory=list)
    approved: dict[str, ApprovedSchedule] = field(default_factory=dict)
    modes: dict[str, UnitMode] = field(default_factory=dict)
    outbox: dict[str, OutboxMessage] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    thresholds: dict[str, AutoThresholds] = field(default_factory=dict)
    forecasts: dict[str, StoredForecast] = field(default_factory=dict)

    def copy(self) -> MemoryState:
        return MemoryState(
            dict(self.recommendations),
            list(self.decisions),
            dict(self.approved),
            dict(self.modes),
            dict(self.outbox),
            list(self.audit),
            self.lock,
            dict(self.thresholds),
            dict(self.forecasts),
        )


class MemoryRecommendations:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def add(self, item: StoredRecommendation) -> None:
        if item.id in self._state.recommendations:
            raise ConflictError(f"recommendation {item.id} already exists")
        self._state.recommendations[item.id] = item

    def get(self, recommendation_id: str) -> StoredRecommendation | None:
        return self._state.recommendations.get(recommendation_id)

    def state(self, recommendation_id: str) -> RecommendationState | None:
        found = self._state.recommendations.get(recommendation_id)
        return None if found is None else RecommendationState(found.id, found.unit, found.status, found.version)

    def set_status(self, recommendation_id: str, status: RecommendationStatus, expected_version: int) -> None:
        current = self._state.recommendations[recommendation_id]
        self.save(replace(current, status=status, version=expected_version + 1), expected_version)

    def save(self, item: StoredRecommendation, expected_version: int) -> None:
        current = self._state.recommendations.get(item.id)
        if current is None or current.version != expected_version:
            raise ConflictError(f"recommendation {item.id} changed meanwhile; reload it and decide again")
        self._state.recommendations[item.id] = item

    def for_unit(
        self, unit: str, limit: int = 50, statuses: Collection[RecommendationStatus] | None = None
    ) -> list[StoredRecommendation]:
        items = [
            item
            for item in self._state.recommendations.values()
            if item.unit == unit and (statuses is None or item.status in statuses)
        ]
        items.sort(key=lambda item: (item.recommendation.created_at, item.id), reverse=True)
        return items[:limit]


class MemoryDecisions:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def add(self, decision: Decision, unit: str) -> StoredDecision:
        stored = StoredDecision(len(self._state.decisions) + 1, decision, unit)
        self._state.decisions.append(stored)
        return stored

    def record(
        self, decision: Decision, unit: str, status: RecommendationStatus, expected_version: int
    ) -> StoredDecision:
        MemoryRecommendations(self._state).set_status(decision.recommendation_id, status, expected_version)
        return self.add(decision, unit)

    def for_recommendation(self, recommendation_id: str) -> list[StoredDecision]:
        return [item for item in self._state.decisions if item.decision.recommendation_id == recommendation_id]

    def all(self, unit: str | None = None) -> list[StoredDecision]:
        return [item for item in self._state.decisions if unit is None or item.unit == unit]


class MemorySchedules:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def approved(self, unit: str) -> ApprovedSchedule | None:
        return self._state.approved.get(unit)

    def save_approved(self, approved: ApprovedSchedule) -> None:
        self._state.approved[approved.unit] = approved


class MemoryModes:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def get(self, unit: str) -> UnitMode | None:
        return self._state.modes.get(unit)

    def set(self, unit: str, mode: UnitMode) -> None:
        self._state.modes[unit] = mode

    def all(self) -> dict[str, UnitMode]:
        return dict(self._state.modes)

    def thresholds(self, unit: str) -> AutoThresholds | None:
        return self._state.thresholds.get(unit)

    def set_thresholds(self, unit: str, thresholds: AutoThresholds) -> None:
        self._state.thresholds[unit] = thresholds


class MemoryForecasts:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def add(self, forecast: StoredForecast) -> None:
        if forecast.id in self._state.forecasts:
            raise ConflictError(f"forecast {forecast.id} already exists")
        self._state.forecasts[forecast.id] = forecast

    def get(self, forecast_id: str) -> StoredForecast | None:
        return self._state.forecasts.get(forecast_id)

    def for_unit(self, unit: str, limit: int = 20) -> list[StoredForecast]:
        items = [f for f in self._state.forecasts.values() if f.unit == unit]
        items.sort(key=lambda f: (f.generated_at, f.id), reverse=True)
        return items[:limit]


class MemoryOutbox:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def add(self, message: OutboxMessage) -> None:
        self._state.outbox.setdefault(message.key, message)

    def pending(self, limit: int = 100) -> list[OutboxMessage]:
        items = [m for m in self._state.outbox.values() if m.state is OutboxState.PENDING]
        items.sort(key=lambda m: (m.created_at, m.key))
        return items[:limit]

    def save(self, message: OutboxMessage) -> None:
        self._state.outbox[message.key] = message

    def all(self) -> list[OutboxMessage]:
        return sorted(self._state.outbox.values(), key=lambda m: (m.created_at, m.key))


class MemoryUnitOfWork:
    """A unit of work over ``MemoryState``: changes are visible to others only after ``commit``."""

    def __init__(self, state: MemoryState) -> None:
        self._shared = state
        self._bind(state.copy())
        self.committed = False

    def _bind(self, working: MemoryState) -> None:
        self._working = working
        self.recommendations = MemoryRecommendations(working)
        self.decisions = MemoryDecisions(working)
        self.schedules = MemorySchedules(working)
        self.modes = MemoryModes(working)
        self.outbox = MemoryOutbox(working)
        self.forecasts = MemoryForecasts(working)
        self.audit = MemoryAuditStore(working.audit)

    def reading(self, recommendation_id: str) -> Self:  # noqa: ARG002 - everything is at hand already
        return self

    def __enter__(self) -> Self:
        self._shared.lock.acquire()
        self._bind(self._shared.copy())
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._shared.lock.release()

    def commit(self) -> None:
        shared, working = self._shared, self._working
        shared.recommendations = working.recommendations
        shared.decisions = working.decisions
        shared.approved = working.approved
        shared.modes = working.modes
        shared.outbox = working.outbox
        shared.audit = working.audit
        shared.thresholds = working.thresholds
        shared.forecasts = working.forecasts
        self._bind(shared.copy())
        self.committed = True

    def rollback(self) -> None:
        self._bind(self._shared.copy())


@dataclass
class MemoryPlanningData:
    """Planning inputs held in memory: one ``PlanningInput`` and optional template per unit.

    ``call_out`` mimics what the projections do on a ``StaffCalledOut``: the staff member's
    assignments that day leave the live roster and the day becomes unavailable to them.
    """

    inputs: dict[str, PlanningInput]
    templates: dict[str, Schedule] = field(default_factory=dict)

    def units(self) -> list[str]:
        return sorted(self.inputs)

    def planning_input(self, unit: str) -> PlanningInput:
        try:
            return self.inputs[unit]
        except KeyError:
            raise DomainError(f"unknown unit {unit!r}; known units: {', '.join(self.units())}") from None

    def coverage_template(self, unit: str) -> Schedule | None:
        return self.templates.get(unit)

    def call_out(self, unit: str, staff: str, day: object) -> None:
        """Take ``staff`` off the live roster of ``unit`` on ``day`` and mark the day unavailable."""
        planning = self.planning_input(unit)
        current = planning.current or Schedule(())
        kept = [a for a in current if not (a.staff == staff and a.day == day)]
        days_off = dict(planning.problem.days_off)
        days_off[staff] = frozenset(days_off.get(staff, frozenset())) | {day}  # type: ignore[arg-type]
        problem = replace(planning.problem, days_off=days_off)
        self.inputs[unit] = replace(planning, problem=problem, current=Schedule.of(kept, source=current.source))


@dataclass
class FixedQualityGate:
    """A gate that returns a set verdict per unit (``ok`` for the rest)."""

    verdicts: dict[str, tuple[str, str]] = field(default_factory=dict)

    def verdict(self, unit: str) -> tuple[str, str]:
        return self.verdicts.get(unit, ("ok", ""))


@dataclass
class MemoryAuditView:
    """``AuditStore`` over a ``MemoryState`` for readers (the API's ``/audit`` routes)."""

    state: MemoryState

    def append(self, entry: AuditEntry) -> None:
        with self.state.lock:
            self.state.audit = [*self.state.audit, entry]

    def entries(self) -> list[AuditEntry]:
        return list(self.state.audit)

    def last(self) -> AuditEntry | None:
        return self.state.audit[-1] if self.state.audit else None
