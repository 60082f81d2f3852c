"""California rules built in code, for the demo until the YAML pack ``us-ca-title22`` lands.

Two sets: :func:`title22_rules` is the law (Title 22 CCR §70217 licensed-nurse ratios,
licensure); :func:`house_rules` is a sample hospital's own policy and union contract
(rest, recovery after nights, fatigue caps, fairness, cover targets), citing where each
number comes from (``shared/reference/standards-and-staffing-rules.md``).
"""

from __future__ import annotations

from types import MappingProxyType

from careshift.domain.rules.assignment import CredentialRequired
from careshift.domain.rules.base import Rule, Scope
from careshift.domain.rules.fairness import FairShare
from careshift.domain.rules.interval import IntervalCoverRule, NurseToPatientRatio
from careshift.domain.rules.rest import MinRestBetweenShifts, RestAfterNightBlock
from careshift.domain.rules.workload import RollingWorkedMinutes

PACK_ID = "us-ca-title22"
JURISDICTION = "US-CA"
TITLE22 = "Cal. Code Regs. tit. 22 §70217(a); Health & Safety Code §1276.4"

TITLE22_PATIENTS_PER_NURSE = MappingProxyType(
    {
        "icu": 2,
        "nicu": 2,
        "or": 1,
        "pacu": 2,
        "labor_delivery": 2,
        "step_down": 3,
        "telemetry": 4,
        "pediatrics": 4,
        "oncology": 4,
        "postpartum": 4,
        "ed": 4,
        "med_surg": 5,
        "psychiatric": 6,
    }
)
"""Patients per licensed nurse by unit type (Title 22 §70217; postpartum: couplets)."""

LICENSED = frozenset({"RN", "LPN"})
"""Roles counted in California ratios: licensed nurses (LPN = California LVN). Charge
nurses count only while they hold a patient assignment, so the ``CHARGE`` role does not."""


def title22_rules() -> tuple[Rule, ...]:
    """California's legal minimums: ratios at all times (breaks included), ED triage,
    and a current licence for everyone who practises."""
    return (
        Rule(
            "ca-ratio",
            NurseToPatientRatio(
                patients_per_nurse=TITLE22_PATIENTS_PER_NURSE,
                roles=LICENSED,
                uncounted_skills=frozenset({"triage"}),
            ),
            hard=True,
            jurisdiction=JURISDICTION,
            citation=TITLE22,
            reason="{detail}",
        ),
        Rule(
            "ca-interval-floor",
            IntervalCoverRule(level="floor", break_relief=False),
            hard=True,
            jurisdiction=JURISDICTION,
            citation="Title 22 §70217: ED 1:4 plus a triage nurse",
            reason="{detail}",
        ),
        Rule(
            "ca-rn-licence",
            CredentialRequired(credentials=frozenset({"RN-CA"})),
            hard=True,
            scope=Scope(roles=frozenset({"RN", "CHARGE"})),
            jurisdiction=JURISDICTION,
            citation="California Nursing Practice Act, Business & Professions Code §2732",
            reason="{detail}",
        ),
        Rule(
            "ca-lvn-licence",
            CredentialRequired(credentials=frozenset({"LVN-CA"})),
            hard=True,
            scope=Scope(roles=frozenset({"LPN"})),
            jurisdiction=JURISDICTION,
            citation="California Vocational Nursing Practice Act (licence required)",
            reason="{detail}",
        ),
    )


def house_rules(units: tuple[str, ...]) -> tuple[Rule, ...]:
    """A sample hospital's own policy and union contract (not law): rest, recovery after
    nights, fatigue caps, advanced life support on critical units, fair nights and
    weekends per unit, and soft cover targets per 15 minutes."""
    contract = "sample union contract (shared reference §3.4)"
    rules = [
        Rule(
            "house-rest-10h",
            MinRestBetweenShifts(hours=10),
            hard=False,
            weight=1,
            jurisdiction="house",
            citation=contract + ": 10 h minimum rest between shifts",
            reason="{detail}",
        ),
        Rule(
            "house-48h-after-nights",
            RestAfterNightBlock(hours=48),
            hard=False,
            weight=1,
            jurisdiction="house",
            citation=contract + ": 48 h off after a run of nights",
            reason="{detail}",
        ),
        Rule(
            "house-12h-in-24h",
            RollingWorkedMinutes(window_hours=24, maximum=12 * 60),
            hard=True,
            jurisdiction="house",
            citation="IOM, Keeping Patients Safe (2004): no more than 12 h in 24 h",
            reason="{detail}",
        ),
        Rule(
            "house-60h-in-7d",
            RollingWorkedMinutes(window_hours=168, maximum=60 * 60),
            hard=False,
            weight=1,
            jurisdiction="house",
            citation="IOM, Keeping Patients Safe (2004): no more than 60 h in 7 days",
            reason="{detail}",
        ),
        Rule(
            "house-acls-critical",
            CredentialRequired(credentials=frozenset({"ACLS"})),
            hard=True,
            scope=Scope(units=frozenset({"icu", "sdu", "ed"}), roles=frozenset({"RN", "CHARGE"})),
            jurisdiction="house",
            citation="hospital policy: ACLS for RNs on critical-care units",
            reason="{detail}",
        ),
        Rule(
            "house-cover-target",
            IntervalCoverRule(level="target"),
            hard=False,
            weight=1,
            jurisdiction="house",
            citation="hospital staffing plan: forecast target per 15 minutes",
            reason="{detail}",
        ),
    ]
    for unit in units:
        for kind, weight in (("nights", 20), ("weekends", 20)):
            rules.append(
                Rule(
                    f"house-fair-{kind}-{unit}",
                    FairShare(kind=kind),
                    hard=False,
                    weight=weight,
                    scope=Scope(units=frozenset({unit}), roles=frozenset({"RN"})),
                    jurisdiction="house",
                    citation=contract + f": {kind} shared equitably on each unit",
                    reason="{detail}",
                )
            )
    return tuple(rules)
