from datetime import UTC, datetime

import pytest

from careshift.domain.decisions import REASONS, Decision, Outcome, reason
from careshift.domain.errors import DomainError

AT = datetime(2026, 11, 29, 8, tzinfo=UTC)


def test_override_needs_a_known_reason_code() -> None:
    with pytest.raises(DomainError, match="needs a reason code"):
        Decision("r1", Outcome.OVERRIDDEN, "alice", "charge", AT)
    with pytest.raises(DomainError, match="unknown reason code"):
        Decision("r1", Outcome.DEFERRED, "alice", "charge", AT, reason_code="because")
    decision = Decision("r1", Outcome.OVERRIDDEN, "alice", "charge", AT, reason_code="outcome.staff-fatigue")
    assert reason(decision.reason_code or "").parent == "outcome-concerns"


def test_every_reason_sits_under_one_of_the_six_cds_hooks_parents() -> None:
    parents = {
        "not-applicable",
        "suboptimal-context",
        "disagrees-with-evidence",
        "outcome-concerns",
        "preference-mismatch",
        "not-feasible",
    }
    assert {code.parent for code in REASONS.values()} == parents
