"""Unit modes as feature flags; every change is written to the audit chain."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from careshift.domain.recommendations import UnitMode
from careshift.telemetry.audit import AuditStore, record


@dataclass
class UnitModes:
    """The current mode per unit (default ``shadow``: compute and log, change nothing)."""

    audit: AuditStore
    clock: Callable[[], datetime]
    default: UnitMode = UnitMode.SHADOW
    modes: dict[str, UnitMode] = field(default_factory=dict)

    def mode(self, unit: str) -> UnitMode:
        return self.modes.get(unit, self.default)

    def set(self, unit: str, mode: UnitMode, *, actor: str, reason: str = "") -> None:
        """Switch ``unit`` to ``mode`` immediately and audit who did it and why."""
        previous = self.mode(unit)
        self.modes[unit] = mode
        record(
            self.audit,
            at=self.clock(),
            actor=actor,
            scope=f"unit:{unit}",
            action="unit.mode.changed",
            payload={"from": previous.value, "to": mode.value, "reason": reason},
        )
