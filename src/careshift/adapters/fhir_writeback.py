"""Approved roster changes written to a FHIR R4 server as ``Schedule`` and ``Slot`` resources.

FHIR has no shift resource; ADR 0011 records the mapping: one ``Schedule`` per staff
member (the person's roster; ``actor`` is the staff identifier) and one ``Slot`` per
rostered assignment, ``busy`` while booked and ``free`` once released, identified by the
assignment's business identifier (unit, staff, day, shift, skill).

Every request is idempotent, so the outbox may resend after a crash:

* create is conditional (``If-None-Exist: identifier=<system>|<value>``): a resend finds the
  resource the first send made instead of making a second;
* update sends ``If-Match: W/"<versionId>"`` of the version it read, and is skipped when
  the resource already has the wanted status; a ``412`` (someone changed it meanwhile)
  re-reads and tries again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from careshift.adapters.fhir.client import FhirClient
from careshift.adapters.fhir.errors import FhirServerError
from careshift.domain.errors import DataContractError

ASSIGNMENT_SYSTEM = "https://careshift.org/fhir/sid/assignment"
SCHEDULE_SYSTEM = "https://careshift.org/fhir/sid/staff-schedule"
STAFF_SYSTEM = "https://careshift.org/fhir/sid/staff"
SHIFT_SYSTEM = "https://careshift.org/fhir/CodeSystem/shift-type"
UNIT_SYSTEM = "https://careshift.org/fhir/sid/unit"
PRECONDITION_RETRIES = 3
FHIR_JSON = "application/fhir+json"


def identifier_value(business_key: str) -> str:
    """The FHIR identifier value of an assignment key (``|`` would split a token search)."""
    return business_key.replace("|", ":")


def staff_schedule(staff: str) -> dict[str, Any]:
    """The ``Schedule`` that holds one staff member's rostered shifts."""
    return {
        "resourceType": "Schedule",
        "identifier": [{"system": SCHEDULE_SYSTEM, "value": staff}],
        "active": True,
        "actor": [{"identifier": {"system": STAFF_SYSTEM, "value": staff}, "display": staff}],
        "comment": "Rostered shifts written by careshift",
    }


def shift_slot(business_key: str, change: Mapping[str, Any], schedule_id: str, status: str) -> dict[str, Any]:
    """The ``Slot`` of one assignment (``busy`` booked, ``free`` released)."""
    assignment = change["assignment"]
    if "start" not in change or "end" not in change:
        raise DataContractError(
            "an outbox change has no start/end; it was queued without the unit's shift times. "
            "Re-approve the recommendation so the change is queued again",
            source=f"outbox {business_key}",
        )
    return {
        "resourceType": "Slot",
        "identifier": [{"system": ASSIGNMENT_SYSTEM, "value": identifier_value(business_key)}],
        "schedule": {"reference": f"Schedule/{schedule_id}"},
        "status": status,
        "start": change["start"],
        "end": change["end"],
        "serviceType": [{"coding": [{"system": SHIFT_SYSTEM, "code": assignment["shift"]}]}],
        "comment": f"{assignment['staff']} on {assignment['unit'] or 'unit'} ({assignment['shift']})",
    }


def _summary(resource: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "resource": f"{resource.get('resourceType')}/{resource.get('id')}",
        "version": (resource.get("meta") or {}).get("versionId"),
        "status": resource.get("status"),
    }


class FhirShiftWriter:
    """``ShiftWriter`` on a :class:`FhirClient` (retries, SMART tokens and PHI-safe errors are its)."""

    def __init__(self, client: FhirClient) -> None:
        self._client = client
        self._schedules: dict[str, str] = {}

    async def book(self, identifier: str, change: Mapping[str, Any]) -> dict[str, Any]:
        """Make the assignment a ``busy`` slot (create it, or re-book a released one)."""
        schedule_id = await self._schedule_id(str(change["assignment"]["staff"]))
        slot = shift_slot(identifier, change, schedule_id, "busy")
        found = await self._conditional_create(slot, ASSIGNMENT_SYSTEM, identifier_value(identifier))
        if found.get("status") != "busy":
            found = await self._set_status(found, "busy")
        return _summary(found)

    async def release(self, identifier: str, change: Mapping[str, Any]) -> dict[str, Any]:  # noqa: ARG002
        """Make the assignment's slot ``free``; nothing to do when careshift never wrote it."""
        found = await self._find_slot(identifier_value(identifier))
        if found is None:
            return {"resource": None, "version": None, "status": "absent"}
        if found.get("status") != "free":
            found = await self._set_status(found, "free")
        return _summary(found)

    async def _schedule_id(self, staff: str) -> str:
        if staff not in self._schedules:
            schedule = await self._conditional_create(staff_schedule(staff), SCHEDULE_SYSTEM, staff)
            self._schedules[staff] = str(schedule["id"])
        return self._schedules[staff]

    async def _conditional_create(self, resource: dict[str, Any], system: str, value: str) -> dict[str, Any]:
        kind = resource["resourceType"]
        request = httpx.Request(
            "POST",
            f"{self._client.base_url}/{kind}",
            json=resource,
            headers={"If-None-Exist": f"identifier={system}|{value}", "Content-Type": FHIR_JSON, "Accept": FHIR_JSON},
        )
        response = await self._client.send(request)
        return _resource(response, kind)

    async def _find_slot(self, value: str) -> dict[str, Any] | None:
        async for slot in self._client.search("Slot", {"identifier": f"{ASSIGNMENT_SYSTEM}|{value}"}):
            return slot
        return None

    async def _set_status(self, resource: dict[str, Any], status: str) -> dict[str, Any]:
        current = resource
        for _ in range(PRECONDITION_RETRIES):
            if current.get("status") == status:
                return current
            version = (current.get("meta") or {}).get("versionId")
            wanted = {**current, "status": status}
            headers = {"Content-Type": FHIR_JSON, "Accept": FHIR_JSON}
            if version:
                headers["If-Match"] = f'W/"{version}"'
            url = f"{self._client.base_url}/Slot/{current['id']}"
            try:
                response = await self._client.send(httpx.Request("PUT", url, json=wanted, headers=headers))
            except FhirServerError as exc:
                if exc.status != 412:
                    raise
                # Someone changed the slot since we read it: read it again and decide again.
                current = await self._client.read("Slot", str(current["id"]))
                continue
            return _resource(response, "Slot")
        raise FhirServerError(
            f"Slot/{resource.get('id')} kept changing under us ({PRECONDITION_RETRIES} If-Match conflicts); "
            "the outbox will retry later",
            status=412,
        )


def _resource(response: httpx.Response, kind: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise DataContractError("the FHIR server answered a write without JSON", source=kind) from exc
    if not isinstance(body, dict) or body.get("resourceType") != kind:
        raise DataContractError(f"the FHIR server answered a {kind} write with something else", source=kind)
    return body
