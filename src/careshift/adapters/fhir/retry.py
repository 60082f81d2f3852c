"""Retry timing for calls to FHIR servers: exponential backoff that honours ``Retry-After``."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before repeating a failed request.

    Attempt ``n`` (1-based) failed → wait ``base_delay * 2**(n-1)`` seconds, scaled by a
    jitter factor in [0.5, 1] so that many clients do not retry in lock-step, capped at
    ``max_delay``. A server's ``Retry-After`` wins when it asks for longer (up to
    ``max_retry_after``: a server asking for an hour is treated as down).
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 120.0
    statuses: frozenset[int] = RETRYABLE_STATUSES
    jitter: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt ``attempt`` when the server gave no hint."""
        raw = self.base_delay * 2.0 ** (attempt - 1)
        return min(self.max_delay, raw * (0.5 + 0.5 * self.jitter()))

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait, honouring a ``Retry-After`` hint (already parsed to seconds)."""
        wait = self.backoff(attempt)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_retry_after))
        return wait


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date; ``None`` if absent
    or unreadable (an unreadable hint falls back to our own backoff rather than failing)."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())
