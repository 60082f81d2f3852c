"""Decisions on recommendations: accept, override with a coded reason, or defer.

The override/defer reason taxonomy is adapted from the CDS Hooks 3.0 example value set of
"non-adherence reasons" (six parents: not applicable, suboptimal context, disagrees with
evidence, outcome concerns, preference mismatch, not feasible), narrowed to staffing.
"defer" is not a CDS Hooks outcome; we add it as an extension and reuse the same codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from careshift.domain.errors import DomainError
from careshift.domain.time import require_aware

REASON_SYSTEM = "https://careshift.org/fhir/CodeSystem/staffing-non-adherence-reason"


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    OVERRIDDEN = "overridden"
    DEFERRED = "deferred"


@dataclass(frozen=True)
class ReasonCode:
    """A coded reason (``code`` in ``REASON_SYSTEM``) with its parent category and display."""

    code: str
    parent: str
    display: str


REASONS: dict[str, ReasonCode] = {
    reason.code: reason
    for reason in (
        ReasonCode("not-applicable.unit-closed", "not-applicable", "Unit or beds closed"),
        ReasonCode("not-applicable.census-wrong", "not-applicable", "Census or acuity data is wrong"),
        ReasonCode("context.timing", "suboptimal-context", "Not the right time to act (shift change, handover)"),
        ReasonCode("context.need-more-info", "suboptimal-context", "Need more information before deciding"),
        ReasonCode("context.wrong-recipient", "suboptimal-context", "Decision belongs to another unit or role"),
        ReasonCode("evidence.policy-contradicts", "disagrees-with-evidence", "Institutional policy contradicts it"),
        ReasonCode("evidence.forecast-disputed", "disagrees-with-evidence", "Forecast disputed by the charge nurse"),
        ReasonCode("outcome.patient-safety", "outcome-concerns", "Patient-safety concern with the proposed change"),
        ReasonCode("outcome.staff-fatigue", "outcome-concerns", "Staff fatigue or wellbeing concern"),
        ReasonCode("preference.staff-declined", "preference-mismatch", "Staff member declined the shift"),
        ReasonCode("preference.fairness", "preference-mismatch", "Conflicts with the agreed fair rotation"),
        ReasonCode("not-feasible.staff-unavailable", "not-feasible", "Proposed staff member is not actually available"),
        ReasonCode("not-feasible.skill-gap", "not-feasible", "Proposed staff lacks the competence for the patients"),
        ReasonCode("not-feasible.cost", "not-feasible", "Premium pay or agency cost not approved"),
        ReasonCode("not-feasible.union-agreement", "not-feasible", "Breaks a collective-agreement clause"),
    )
}


def reason(code: str) -> ReasonCode:
    """The reason with ``code``, or a ``DomainError`` listing the valid codes."""
    try:
        return REASONS[code]
    except KeyError:
        valid = ", ".join(sorted(REASONS))
        raise DomainError(f"unknown reason code {code!r}; use one of: {valid}") from None


@dataclass(frozen=True)
class Decision:
    """A user's decision on a recommendation. Override and defer need a coded reason."""

    recommendation_id: str
    outcome: Outcome
    user: str
    role: str
    at: datetime
    reason_code: str | None = None
    comment: str = ""

    def __post_init__(self) -> None:
        require_aware(self.at, "decision time")
        if self.outcome is Outcome.ACCEPTED:
            if self.reason_code is not None:
                reason(self.reason_code)
            return
        if self.reason_code is None:
            raise DomainError(f"a {self.outcome.value} decision needs a reason code (e.g. 'context.need-more-info')")
        reason(self.reason_code)
