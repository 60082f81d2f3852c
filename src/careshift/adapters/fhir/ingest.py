"""Feed FHIR resources into careshift: map each one to canonical events and publish them,
or quarantine it with the reason. Nothing is dropped silently."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from careshift.adapters.fhir.auth import Clock, utc_now
from careshift.adapters.fhir.mapping import (
    PATIENT_LINKED,
    LocationDirectory,
    MappingConfig,
    appointment_events,
    encounter_events,
)
from careshift.domain.errors import DataContractError
from careshift.domain.events import Event
from careshift.service.ports import Quarantine, QuarantineRecord

_EVENT_MAPPERS = {"Encounter": encounter_events, "Appointment": appointment_events}


@dataclass(frozen=True)
class Rejected:
    """A resource careshift could not accept: ``source`` names it (hashed for patient-linked
    resources), ``reason`` says what to fix. No payload is kept, as it may hold PHI.
    ``resource_type`` and ``reference`` (the id, keyed-hashed for patient-linked types) say
    where it goes in quarantine."""

    source: str
    reason: str
    resource_type: str = ""
    reference: str = ""


def resource_reference(raw: Mapping[str, Any], config: MappingConfig) -> str:
    """The id of ``raw`` as it may be stored and shown: hashed for patient-linked types."""
    resource_type, identifier = str(raw.get("resourceType", "")), str(raw.get("id", ""))
    return config.hasher(resource_type, identifier) if resource_type in PATIENT_LINKED else identifier


def quarantine_record(rejected: Rejected, source_system: str, received_at: datetime) -> QuarantineRecord:
    """The quarantine row of a rejected resource: source ``fhir/<ResourceType>``, the hashed
    reference as location, the reason; no payload (it may hold PHI)."""
    return QuarantineRecord(
        source=f"fhir/{rejected.resource_type or 'unknown'}",
        reason=rejected.reason,
        received_at=received_at,
        location=rejected.reference,
        code="contract",
        source_system=source_system,
        record_ref=rejected.reference,
    )


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
            resource_type = str(raw.get("resourceType", ""))
            rejected = Rejected(
                source=exc.source or resource_type,
                reason=exc.detail,
                resource_type=resource_type,
                reference=resource_reference(raw, self._config),
            )
            await self._reject(rejected)
            return
        if events:
            await self._publish(events)
            self.published += len(events)


class QuarantineRejects:
    """The ``reject`` handler of :class:`FhirEventFeed` that keeps each rejected resource in
    the store's quarantine (see :func:`quarantine_record`), so nothing is lost."""

    def __init__(self, quarantine: Quarantine, source_system: str, *, clock: Clock = utc_now) -> None:
        self._quarantine = quarantine
        self._source_system = source_system
        self._clock = clock

    async def __call__(self, rejected: Rejected) -> None:
        record = quarantine_record(rejected, self._source_system, self._clock())
        # The store is synchronous; a worker thread keeps the download loop responsive.
        await asyncio.to_thread(self._quarantine.quarantine, record)
