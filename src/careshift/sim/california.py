"""The rules the synthetic hospital is checked under: the bundled California pack
``us-ca-title22`` (Title 22 §70217 ratios on top of careshift's global base rules) plus a
sample hospital's own house rules, built in code here.

The house rules are the hospital's policy and union contract, not law: rest, recovery
after nights, fatigue caps, further licences and ACLS, the ED triage nurse, fair nights
and weekends, and soft cover targets per 15 minutes, each citing where its number comes
from (``shared/reference/standards-and-staffing-rules.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from careshift.domain.rules.assignment import CredentialRequired
from careshift.domain.rules.base import Rule, Scope
from careshift.domain.rules.fairness import FairShare
from careshift.domain.rules.interval import IntervalCoverRule, NurseToPatientRatio
from careshift.domain.rules.rest import MinRestBetweenShifts, RestAfterNightBlock
from careshift.domain.rules.workload import RollingWorkedMinutes

PACK_ID = "us-ca-title22"
RATIO_RULE = "ca-ratio"
RN_LICENCE = "RN-CA"
"""The California RN licence code: what the pack's ``rn-licence`` rule asks for and the
sim issues (a test keeps the two in step)."""
LVN_LICENCE = "LVN-CA"
CNA_CERTIFICATE = "CNA-CA"


@lru_cache(maxsize=1)
def _pack() -> tuple[str, tuple[Rule, ...]]:
    from careshift.policy import load_pack

    pack = load_pack(PACK_ID)
    return pack.version, pack.rules


def california_pack() -> tuple[str, tuple[Rule, ...]]:
    """(version, rules) of the bundled ``us-ca-title22`` pack, with its ``extends`` chain."""
    return _pack()


def title22_ratios() -> Mapping[str, int]:
    """Patients per licensed nurse by unit type, as the California pack's ratio rule says."""
    for rule in california_pack()[1]:
        if rule.id == RATIO_RULE and isinstance(rule.spec, NurseToPatientRatio):
            return MappingProxyType(dict(rule.spec.patients_per_nurse))
    return MappingProxyType({})


def house_rules(units: tuple[str, ...]) -> tuple[Rule, ...]:
    """A sample hospital's own policy and union contract on top of the California pack:
    the ED triage nurse (hard, breaks not relieved), licences for charge nurses, LVNs and
    CNAs, rest, recovery after nights, fatigue caps, ACLS on critical units, fair nights
    and weekends per unit, and soft cover targets per 15 minutes."""
    contract = "sample union contract (shared reference §3.4)"
    rules = [
        Rule(
            "house-ed-triage",
            IntervalCoverRule(level="floor", break_relief=False),
            hard=True,
            jurisdiction="house",
            citation=(
                "Title 22 §70217 (ED: 1:4 plus a triage nurse); the pack keeps triage out of the ratio, "
                "this rule requires the triage nurse"
            ),
            reason="{detail}",
        ),
        Rule(
            "house-licences",
            CredentialRequired(credentials=frozenset({RN_LICENCE})),
            hard=True,
            scope=Scope(roles=frozenset({"CHARGE"})),
            jurisdiction="house",
            citation="California Nursing Practice Act, Business & Professions Code §2732 (charge nurses are RNs)",
            reason="{detail}",
        ),
        Rule(
            "house-lvn-licence",
            CredentialRequired(credentials=frozenset({LVN_LICENCE})),
            hard=True,
            scope=Scope(roles=frozenset({"LPN"})),
            jurisdiction="house",
            citation="California Vocational Nursing Practice Act (licence required)",
            reason="{detail}",
        ),
        Rule(
            "house-cna-certificate",
            CredentialRequired(credentials=frozenset({CNA_CERTIFICATE})),
            hard=True,
            scope=Scope(roles=frozenset({"CNA"})),
            jurisdiction="house",
            citation="hospital policy: current nurse-assistant certificate",
            reason="{detail}",
        ),
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
