"""Small FHIR R4 resources shared by the FHIR unit and integration tests."""

from __future__ import annotations

from typing import Any

from careshift.adapters.fhir.mapping import LOCATION_PHYSICAL_TYPE, TIMEZONE_EXTENSION, V3_ROLE_CODE

UNIT_SYSTEM = "urn:example:unit"


def ward(
    location_id: str, name: str, *, unit_code: str | None = None, icu: bool = False, tz: str | None = None
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Location",
        "id": location_id,
        "status": "active",
        "mode": "instance",
        "name": name,
        "physicalType": {"coding": [{"system": LOCATION_PHYSICAL_TYPE, "code": "wa"}]},
    }
    if unit_code:
        resource["identifier"] = [{"system": UNIT_SYSTEM, "value": unit_code}]
    if icu:
        resource["type"] = [{"coding": [{"system": V3_ROLE_CODE, "code": "ICU"}]}]
    if tz:
        resource["extension"] = [{"url": TIMEZONE_EXTENSION, "valueCode": tz}]
    return resource


def child(location_id: str, parent: str, physical: str, *, status: str = "active") -> dict[str, Any]:
    return {
        "resourceType": "Location",
        "id": location_id,
        "status": status,
        "name": location_id,
        "physicalType": {"coding": [{"system": LOCATION_PHYSICAL_TYPE, "code": physical}]},
        "partOf": {"reference": f"Location/{parent}"},
    }


def encounter(
    encounter_id: str,
    status: str,
    stays: list[tuple[str, str, str | None]],
    *,
    period_end: str | None = None,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": encounter_id,
        "status": status,
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "subject": {"reference": "Patient/p-secret-mrn-4711"},
        "location": [
            {
                "location": {"reference": f"Location/{loc}"},
                "status": "completed" if end else "active",
                "period": {"start": start, **({"end": end} if end else {})},
            }
            for loc, start, end in stays
        ],
    }
    if period_end:
        resource["period"] = {"start": stays[0][1], "end": period_end}
    return resource


def appointment(
    appointment_id: str, status: str, location: str | None, start: str | None, end: str | None
) -> dict[str, Any]:
    participants: list[dict[str, Any]] = [{"actor": {"reference": "Patient/p-secret-mrn-4711"}, "status": "accepted"}]
    if location:
        participants.append({"actor": {"reference": f"Location/{location}"}, "status": "accepted"})
    resource: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": appointment_id,
        "status": status,
        "participant": participants,
    }
    if start:
        resource["start"] = start
    if end:
        resource["end"] = end
    return resource


def practitioner(practitioner_id: str, *, active: bool = True, licence_end: str = "2027-03-31") -> dict[str, Any]:
    return {
        "resourceType": "Practitioner",
        "id": practitioner_id,
        "active": active,
        "identifier": [{"system": "urn:example:employee", "value": f"E-{practitioner_id}"}],
        "name": [{"given": ["Ada"], "family": "Lovelace"}],
        "qualification": [
            {
                "code": {"coding": [{"system": "urn:example:licence", "code": "RN-CA"}]},
                "period": {"start": "2020-01-01", "end": licence_end},
            },
            {"code": {"text": "ACLS"}},
        ],
    }


def practitioner_role(
    role_id: str,
    practitioner_id: str,
    *,
    code: tuple[str, str] = ("http://terminology.hl7.org/CodeSystem/practitioner-role", "nurse"),
    locations: tuple[str, ...] = (),
    specialty: str | None = None,
    active: bool = True,
    period: tuple[str, str] | None = None,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "PractitionerRole",
        "id": role_id,
        "active": active,
        "practitioner": {"reference": f"Practitioner/{practitioner_id}"},
        "code": [{"coding": [{"system": code[0], "code": code[1]}]}],
        "location": [{"reference": f"Location/{loc}"} for loc in locations],
    }
    if specialty:
        resource["specialty"] = [{"coding": [{"system": "urn:example:skill", "code": specialty}]}]
    if period:
        resource["period"] = {"start": period[0], "end": period[1]}
    return resource
