"""Staff requests to work or not to work particular shifts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from careshift.domain.rules.base import RuleSpec


@dataclass(frozen=True)
class ShiftRequests(RuleSpec):
    """Honour ``problem.requests`` (Curtois shift-on/off, INRC-II S4).

    An on-request is breached when the staff does not work that shift (or any shift when
    ``shift`` is None) that day; an off-request when they do. Amount 1 per breached
    request with the request's ``weight`` as factor. Soft; the rule weight multiplies.
    """

    family: ClassVar[str] = "shift_requests"
    title: ClassVar[str] = "Shift requests"
