"""Feed FHIR resources into careshift: map each one to canonical events and publish them,
or quarantine it with the reason. Nothing is dropped silently."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from careshift.adapters.fhir.auth import Clock, utc_now
from careshift.adapters.fhir.mapping import LocationDirectory, MappingConfig, appointment_events, encounter_events
from careshift.domain.errors import DataContractError
from careshift.domain.events import Event

_EVENT_MAPPERS = {"Encounter": encounter_events, "Appointment": appointment_events}


@dataclass(frozen=True)
class Rejected:
    """A resource careshift could not accept: ``source`` names it (hashed for patient-linked
    resources), ``reason`` says what to fix. No payload is kept, as it may hold PHI."""

    source: str
    reason: str


def map_resource(
    raw: Mapping[str, Any], directory: LocationDirectory, config: MappingConfig, recorded_at: datetime
) -> tuple[Event, ...]:
    """Events of one Encounter or Appointment; other resource types carry state, not events."""
    mapper = _EVENT_MAPPERS.get(str(raw.get("resourceType")))
    return () if mapper is None else mapper(raw, directory, config, recorded_at)


class FhirEventFeed:
    """A handler for :func:`careshift.adapters.fhir.bulk.incremental_export` or a search loop.

    ``publish`` is typically :meth:`EventStream.publish`; ``reject`` the quarantine. Counts of
    published events and rejected resources are kept for the run report.
    """

    def __init__(
        self,
        directory: LocationDirectory,
        config: MappingConfig,
        *,
        publish: Callable[[Sequence[Event]], Awaitable[None]],
        reject: Callable[[Rejected], Awaitable[None]],
        clock: Clock = utc_now,
    ) -> None:
        self._directory = directory
        self._config = config
        self._publish = publish
        self._reject = reject
        self._clock = clock
        self.published = 0
        self.rejected = 0

    async def __call__(self, raw: Mapping[str, Any]) -> None:
        try:
            events = map_resource(raw, self._directory, self._config, self._clock())
        except DataContractError as exc:
            self.rejected += 1
            await self._reject(Rejected(source=exc.source or str(raw.get("resourceType")), reason=exc.detail))
            return
        if events:
            await self._publish(events)
            self.published += len(events)
