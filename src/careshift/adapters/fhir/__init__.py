"""FHIR R4 adapter: SMART backend-services client, paging reads, Bulk ``$export``, and the
mapping of Location, Encounter, Appointment, Practitioner and PractitionerRole to careshift
events and domain state (models from ``fhir.resources.R4B``; code values checked here)."""

from careshift.adapters.fhir.auth import ClientRegistration, SmartBackendAuth
from careshift.adapters.fhir.bulk import (
    BulkExporter,
    ExportCheckpoints,
    ExportManifest,
    InMemoryExportCheckpoints,
    incremental_export,
)
from careshift.adapters.fhir.client import FhirClient
from careshift.adapters.fhir.errors import FhirAuthorisationError, FhirServerError
from careshift.adapters.fhir.ingest import FhirEventFeed, Rejected, map_resource
from careshift.adapters.fhir.mapping import (
    LocationDirectory,
    MappingConfig,
    appointment_events,
    encounter_events,
    staff_from,
)
from careshift.adapters.fhir.retry import RetryPolicy

__all__ = [
    "BulkExporter",
    "ClientRegistration",
    "ExportCheckpoints",
    "ExportManifest",
    "FhirAuthorisationError",
    "FhirClient",
    "FhirEventFeed",
    "FhirServerError",
    "InMemoryExportCheckpoints",
    "LocationDirectory",
    "MappingConfig",
    "Rejected",
    "RetryPolicy",
    "SmartBackendAuth",
    "appointment_events",
    "encounter_events",
    "incremental_export",
    "map_resource",
    "staff_from",
]
