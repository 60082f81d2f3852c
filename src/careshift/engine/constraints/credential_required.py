"""Credentials (licences, certifications) that must be held and unexpired on the day worked."""

from __future__ import annotations

from careshift.domain.rules.assignment import CredentialRequired
from careshift.domain.rules.base import Rule
from careshift.engine.model import EngineModel


def only_credentialed_staff_work(m: EngineModel, rule: Rule) -> None:
    """Nobody in scope works a day on which one of the rule's credentials is missing or
    expired (staff work on their home unit, which the scope's units select). Hard: those
    variables are fixed to 0 under the person's literal. Soft: 1 unit per assignment per
    missing credential × ``rule.weight``, as the checker counts."""
    spec = rule.spec
    assert isinstance(spec, CredentialRequired)
    for member in m.staff_in_scope(rule):
        for d, day in enumerate(m.days):
            missing = sum(1 for code in spec.credentials if not member.has_credential(code, day))
            if not missing:
                continue
            for var in m.vars_on(member.id, d):
                if rule.hard:
                    m.hard(rule, m.model.add(var == 0), member.id)
                else:
                    m.penalise(rule, var, missing, member.id, d, f"credential[nurse={member.id},day={d}]")
