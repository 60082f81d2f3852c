"""Errors of the decision service, on top of :mod:`careshift.domain.errors`::

CareshiftError
├── DomainError
│   ├── NotFoundError        no recommendation / unit with that id (API: 404)
│   └── ConflictError        the request does not fit the current state (API: 409): deciding
│                            twice, approving before accepting, a unit switched off
│       └── StaleRead        the store's writer acted on what it remembered and the database had
│                            moved on; nothing was written, and the command runs again
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


class StaleRead(ConflictError):
    """A writer trusted what the store's last commit left and the database had moved on
    (another process wrote): nothing was written. The use case runs the command again, and the
    store reads this time. Reaches a client (as a conflict) only if that happens twice in a row."""


class SolverTimedOut(ServiceUnavailableError):
    """The optimiser gave no answer within its time limit."""


class SolverFailed(ServiceUnavailableError):
    """The optimiser crashed or returned no roster."""
