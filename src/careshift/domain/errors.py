"""The one exception tree of careshift.

::

    CareshiftError
    ├── InputError                 bad input from outside; carries where it came from
    │   ├── PolicyError            a policy pack that does not validate (file, line, key)
    │   ├── BenchmarkFormatError   a benchmark instance or solution file we cannot read
    │   ├── DataContractError      a CSV/FHIR/HL7 record that breaks its contract
    │   └── ForecastInputError     a time series with gaps, duplicates or bad values
    ├── DomainError                a domain invariant broken by a caller (bad interval, unknown id)
    ├── InfeasibleError            no schedule satisfies the hard rules
    └── ServiceUnavailableError    a dependency (solver, store, server) is down

Every message says what was wrong *and* how to fix it.
"""

from __future__ import annotations


class CareshiftError(Exception):
    """Base of every error careshift raises on purpose."""


class InputError(CareshiftError):
    """Input from outside the process is invalid.

    ``source`` names the file, message or resource; ``location`` the line, row, segment
    or field inside it, so an operator can find and fix the record.
    """

    def __init__(self, message: str, *, source: str | None = None, location: str | None = None) -> None:
        self.source = source
        self.location = location
        where = ":".join(part for part in (source, location) if part)
        super().__init__(f"{where}: {message}" if where else message)
        self.detail = message


class PolicyError(InputError):
    """A policy pack is malformed: unknown key, bad value, broken ``extends`` chain."""


class BenchmarkFormatError(InputError):
    """A benchmark instance or solution file cannot be parsed."""


class DataContractError(InputError):
    """A record breaks its data contract (schema or semantic rule)."""


class ForecastInputError(InputError):
    """A time series cannot be forecast as given (gaps, duplicates, negative counts, bad columns)."""


class DomainError(CareshiftError):
    """A caller broke a domain invariant, e.g. an interval that ends before it starts."""


class InfeasibleError(CareshiftError):
    """No schedule satisfies the hard rules. ``relaxations`` suggests what to relax, best first."""

    def __init__(self, message: str, relaxations: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.relaxations = relaxations


class ServiceUnavailableError(CareshiftError):
    """A dependency careshift needs (solver, store, FHIR server, broker) is not available."""
