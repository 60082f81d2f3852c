"""Unexpired credential required on the day worked, scoped by the unit worked on."""

from datetime import date

from careshift.domain.checker import check
from careshift.domain.rules.assignment import CredentialRequired
from careshift.domain.rules.base import Scope
from careshift.domain.schedule import Assignment
from careshift.domain.workforce import Credential, Unit, UnitType
from tests.unit.timerules_builders import LA, MONDAY, WARD, amounts, nurse, problem, rule, schedule

ICU = Unit("ICU", "ICU", UnitType.ICU, LA, 8)


def test_expired_licence_is_charged_from_the_day_after_expiry() -> None:
    licence = rule(CredentialRequired(credentials=frozenset({"RN-CA"})), hard=True)
    staff = [nurse("a", credentials=(Credential("RN-CA", expires=date(2026, 3, 3)),)), nurse("b")]
    roster = schedule(
        ("a", MONDAY, "D"), ("a", date(2026, 3, 3), "D"), ("a", date(2026, 3, 4), "D"), ("b", MONDAY, "N")
    )
    report = check(problem(staff, [licence]), roster)
    assert [(v.staff, v.day) for v in report.violations] == [("a", date(2026, 3, 4)), ("b", MONDAY)]
    assert "RN-CA is expired 2026-03-03" in report.violations[0].reason
    assert "RN-CA is not held" in report.violations[1].reason


def test_unit_scope_follows_the_unit_worked_not_the_home_unit() -> None:
    acls = rule(
        CredentialRequired(credentials=frozenset({"ACLS", "BLS"})), hard=True, scope=Scope(units=frozenset({"ICU"}))
    )
    staff = [nurse("a", credentials=(Credential("BLS"),))]  # home unit 4W, no ACLS
    roster = schedule(("a", MONDAY, "D"), Assignment("a", date(2026, 3, 3), "D", unit="ICU"))
    report = check(problem(staff, [acls], units=(WARD, ICU)), roster)
    assert amounts(report) == [1]
    assert report.violations[0].day == date(2026, 3, 3)
