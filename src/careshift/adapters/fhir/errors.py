"""Errors of the FHIR adapter, on top of the shared tree in :mod:`careshift.domain.errors`::

CareshiftError
├── InputError
│   └── DataContractError          a resource that breaks careshift's contract (bad code,
│                                  missing period, unknown location); names type/id and the fix
└── ServiceUnavailableError
    └── FhirServerError            the server failed, refused or was unreachable after retries
        └── FhirAuthorisationError the token endpoint refused our client assertion
"""

from __future__ import annotations

from careshift.domain.errors import ServiceUnavailableError


class FhirServerError(ServiceUnavailableError):
    """The FHIR server answered with an error we cannot retry, or kept failing until the
    retry budget ran out. ``status`` is the last HTTP status (``None`` for network errors)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class FhirAuthorisationError(FhirServerError):
    """The SMART token endpoint refused the client (unknown client, bad key, clock skew)."""
