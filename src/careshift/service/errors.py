"""Errors of the decision service, on top of :mod:`careshift.domain.errors`::

CareshiftError
├── DomainError
│   ├── NotFoundError        no recommendation / unit with that id (API: 404)
│   └── ConflictError        the request does not fit the current state (API: 409): deciding
│                            twice, approving before accepting, a unit switched off
└── ServiceUnavailableError
    ├── SolverTimedOut       the optimiser did not answer within its time limit
    └── SolverFailed         the optimiser crashed (worker died) or returned no roster
"""

from __future__ import annotations

from careshift.domain.errors import DomainError, ServiceUnavailableError


class NotFoundError(DomainError):
    """The named record does not exist."""


class ConflictError(DomainError):
    """The command does not apply to the record's current state; the message says what would."""


class SolverTimedOut(ServiceUnavailableError):
    """The optimiser gave no answer within its time limit."""


class SolverFailed(ServiceUnavailableError):
    """The optimiser crashed or returned no roster."""
