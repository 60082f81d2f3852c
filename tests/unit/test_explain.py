from datetime import UTC, date, datetime

import pytest

from careshift.domain.checker import CheckReport, Violation
from careshift.domain.errors import DomainError
from careshift.domain.explain import explain
from careshift.domain.recommendations import CARD_SUMMARY_LIMIT, ProducedBy, Recommendation
from careshift.domain.schedule import Assignment

AT = datetime(2026, 11, 29, 8, tzinfo=UTC)


def v(family: str, amount: int, penalty: int = 0, hard: bool = False, rule: str | None = None) -> Violation:
    return Violation(rule or family, family, hard, amount, penalty)


def test_understaffing_reduction_is_stated_with_numbers() -> None:
    before = CheckReport((v("interval_cover", 26, 26), v("worked_minutes", 240, 240)))
    after = CheckReport((v("interval_cover", 21, 21),))
    texts = [s.text for s in explain(before, after, "4 West")]
    assert texts[0] == "reduces understaffing on 4 West by 19 % (6.5 → 5.25 staff-hours)"
    assert "avoids 4 h over hour limits" in texts
    assert "lowers total penalty 266 → 21" in texts


def test_removed_hard_breach_comes_first() -> None:
    before = CheckReport((v("nurse_to_patient_ratio", 4, hard=True, rule="ca-ratio-medsurg"),))
    after = CheckReport(())
    statements = explain(before, after, "ICU")
    assert statements[0].text == "removes 1 breach(es) of ca-ratio-medsurg"
    assert statements[0].code == "hard.removed"


def test_card_summary_is_under_140_characters_and_marks_fallbacks() -> None:
    long_reason = explain(CheckReport((v("cover_target", 10, 10),)), CheckReport(()), "Medical-Surgical " * 10)
    rec = Recommendation(
        "r1",
        "4W",
        AT,
        added=(Assignment("n1", date(2026, 12, 1), "D"),),
        removed=(),
        reasons=long_reason,
        produced_by=ProducedBy.GREEDY_REPAIR,
        policy_version="abc",
    )
    assert len(rec.summary) < CARD_SUMMARY_LIMIT
    assert rec.summary.startswith("[greedy_repair] 4W: ")
    assert rec.disruption == (1, 1)


def test_empty_recommendation_is_refused() -> None:
    with pytest.raises(DomainError, match="changes nothing"):
        Recommendation("r2", "4W", AT, (), (), (), ProducedBy.OPTIMIZER, None)
