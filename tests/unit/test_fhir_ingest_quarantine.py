"""Rejected FHIR resources go to the store's quarantine as ``fhir/<ResourceType>`` with a
PHI-free reference: keyed-hashed for patient-linked types, the plain id otherwise."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from careshift.adapters.fhir.ingest import FhirEventFeed, QuarantineRejects, Rejected
from careshift.adapters.fhir.mapping import LocationDirectory, MappingConfig
from careshift.adapters.keyed_hash import KeyedHasher
from careshift.adapters.store.memory import MemoryStore
from careshift.domain.events import Event
from tests.fhir_samples import child, encounter, ward

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
CONFIG = MappingConfig(source_system="fhir:unit", hasher=KeyedHasher(b"q" * 32))


async def test_rejected_encounter_is_quarantined_under_its_hashed_id() -> None:
    directory = LocationDirectory.from_locations([ward("w4", "4 West"), child("b1", "w4", "bd")], CONFIG)
    store = MemoryStore()
    published: list[Event] = []

    async def publish(events: Sequence[Event]) -> None:
        published.extend(events)

    feed = FhirEventFeed(
        directory, CONFIG, publish=publish, reject=QuarantineRejects(store, "fhir:unit", clock=lambda: NOW)
    )
    await feed(encounter("pt-secret-42", "admitted", [("b1", "2026-03-01T09:00:00+00:00", None)]))
    await feed(encounter("e1", "in-progress", [("b1", "2026-03-01T09:00:00+00:00", None)]))
    assert feed.rejected == 1 and feed.published == len(published) == 1

    (row,) = store.quarantined()
    hashed = CONFIG.hasher("Encounter", "pt-secret-42")
    assert row.record.source == "fhir/Encounter" and row.record.location == hashed == row.record.record_ref
    assert row.record.source_system == "fhir:unit" and row.record.received_at == NOW
    assert "Encounter.status is 'admitted'" in row.record.reason
    assert "pt-secret-42" not in repr(row)


async def test_non_patient_resources_keep_their_plain_id() -> None:
    store = MemoryStore()
    rejects = QuarantineRejects(store, "fhir:unit", clock=lambda: NOW)
    await rejects(Rejected("Location/w9", "status 'gone' is unknown", resource_type="Location", reference="w9"))
    (row,) = store.quarantined(source="fhir/Location")
    assert row.record.location == "w9"
