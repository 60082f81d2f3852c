"""The data-quality gate behind the ``QualityGate`` port.

``AssessedGate`` runs :func:`careshift.service.quality.assess` over a fresh snapshot (from
the store and the reference data) at most once per ``max_age`` and answers per unit: a
unit is blocked when the gate's verdict is ``block`` and a blocking finding names the unit
or names no unit at all (a hospital-wide problem such as an empty store).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from careshift.service.ports import Store
from careshift.service.quality import QualityReport, Severity, Verdict
from careshift.service.registry import ReferenceData
from careshift.service.repositories import Clock


@dataclass
class AssessedGate:
    """``QualityGate`` over a function that assesses the data now (cached for ``max_age``)."""

    assess_now: Callable[[datetime], QualityReport]
    clock: Clock
    units: Callable[[], list[str]]
    max_age: timedelta = timedelta(minutes=1)
    _cached: QualityReport | None = field(default=None, init=False)

    def _report(self) -> QualityReport:
        now = self.clock()
        if self._cached is None or now - self._cached.checked_at >= self.max_age:
            self._cached = self.assess_now(now)
        return self._cached

    def verdict(self, unit: str) -> tuple[str, str]:
        """``("block", why)`` when a blocking finding concerns ``unit`` (or no unit), else the
        gate's verdict with no reason."""
        report = self._report()
        if report.verdict is not Verdict.BLOCK:
            return report.verdict.value, ""
        known = self.units()
        for finding in report.findings:
            if finding.severity is not Severity.BLOCK:
                continue
            text = f"{finding.record} {finding.reason}"
            named = [u for u in known if u in text]
            if not named or unit in named:
                return "block", f"{finding.check}: {finding.reason}"
        return "warn", "blocking findings concern other units"


def store_gate(store: Store, reference: ReferenceData, clock: Clock, units: Callable[[], list[str]]) -> AssessedGate:
    """The gate over the store and reference data (as ``careshift quality`` reads them)."""
    from careshift.service.quality import assess, load_snapshot

    def assess_now(now: datetime) -> QualityReport:
        return assess(load_snapshot(store, reference, now), now)

    return AssessedGate(assess_now, clock, units)
