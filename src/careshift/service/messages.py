"""Messages of the decision service: commands (imperative) and events (past tense).

A command asks the service to do one thing and has exactly one handler; an event says
something happened and may have any number of handlers (including none). Both are
frozen dataclasses, so a message can be logged, queued and replayed as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from careshift.domain.decisions import Outcome
from careshift.domain.recommendations import ProducedBy, UnitMode


@dataclass(frozen=True)
class Command:
    """Base of commands. ``actor`` is who asked (a user subject or ``system``)."""


@dataclass(frozen=True)
class Event:
    """Base of service events (not the canonical input events of :mod:`careshift.domain.events`)."""


# -- commands -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanUnit(Command):
    """Plan ``unit`` over its planning horizon (batch planning, on a schedule or on demand)."""

    unit: str
    actor: str = "system"
    scope: str = "staffing.decide"


@dataclass(frozen=True)
class RepairUnit(Command):
    """Repair ``unit`` after events (``causes``: what triggered it, recorded on the recommendation).

    ``first_day``..``last_day`` is the affected window: days of the horizon outside it keep
    the current roster. ``None`` repairs the whole horizon (a call-out's default).
    """

    unit: str
    causes: tuple[str, ...] = ()
    first_day: date | None = None
    last_day: date | None = None
    actor: str = "system"
    scope: str = "staffing.decide"


@dataclass(frozen=True)
class RepairAfterCallOut(RepairUnit):
    """Repair ``unit`` after call-outs (``causes``: the event keys, as ``system:id``)."""


@dataclass(frozen=True)
class RepairAfterDemandChange(RepairUnit):
    """Repair ``unit`` after demand rose (a census spike, an ED surge) over the affected window;
    ``causes`` say what crossed which threshold, e.g. "census on 4W rose from 18 to 24 in 2 h"."""


@dataclass(frozen=True)
class RecordDecision(Command):
    """Record a user's accept / override / defer on a recommendation."""

    recommendation_id: str
    outcome: Outcome
    user: str
    role: str
    reason_code: str | None = None
    comment: str = ""
    scope: str = "staffing.decide"


@dataclass(frozen=True)
class ApproveRecommendation(Command):
    """Approve an accepted recommendation (a separate step and permission: ``staffing.approve``)."""

    recommendation_id: str
    user: str
    role: str
    comment: str = ""
    scope: str = "staffing.approve"


@dataclass(frozen=True)
class ChangeUnitMode(Command):
    """Switch ``unit`` to ``mode`` (a feature flag; audited), optionally with new auto-mode
    thresholds (``None`` keeps the unit's current ones; see :mod:`careshift.service.autopolicy`)."""

    unit: str
    mode: UnitMode
    actor: str
    reason: str = ""
    scope: str = "staffing.admin"
    max_risk: float | None = None
    min_confidence: float | None = None


# -- events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecommendationMade(Event):
    recommendation_id: str
    unit: str
    produced_by: ProducedBy


@dataclass(frozen=True)
class DecisionRecorded(Event):
    recommendation_id: str
    unit: str
    outcome: Outcome


@dataclass(frozen=True)
class RecommendationApproved(Event):
    recommendation_id: str
    unit: str
    write_back: bool


@dataclass(frozen=True)
class UnitModeChanged(Event):
    unit: str
    previous: UnitMode
    mode: UnitMode
