"""FHIR R4 resources → careshift's canonical events and domain state.

Pure functions: no I/O. The chosen mapping (see ``docs/adr/0008-fhir-and-stream.md``):

* **Location → Unit.** A Location is a careshift unit when its ``physicalType`` is ``wa``
  (ward) or it carries an identifier in ``unit_identifier_system`` (whose value becomes the unit
  id; otherwise the Location id does). Beds, rooms and other Locations belong to the nearest
  unit up their ``partOf`` chain; ``beds`` counts the active ``bd`` Locations under a unit.
  The timezone comes from the standard ``timezone`` extension, else the configured default.
* **Encounter → PatientArrived / PatientDeparted.** ``Encounter.location`` entries (status
  ``active`` or ``completed``) are resolved to units and merged into consecutive stays per unit
  (a bed move inside a unit is not a departure). Each stay yields an arrival at
  ``period.start`` and, once ``period.end`` is known, a departure. A ``cancelled`` or
  ``entered-in-error`` encounter reverses the events it would have produced; ``planned``
  produces none.
* **Appointment → AppointmentBooked / AppointmentCancelled**, on the unit of its Location
  participant; ``proposed``/``pending``/``waitlist`` are tentative bookings.
* **Practitioner + PractitionerRole → Staff.** Roles from ``PractitionerRole.code`` via a code
  map (unknown codes are refused), skills from ``specialty``, home unit from the first role
  Location, float units from the others, credentials from ``Practitioner.qualification`` with
  ``period.end`` as the expiry.

Encounter and Appointment ids are replaced by keyed hashes here; error messages name those
resources by hash too, so they can be logged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError

from careshift.domain.errors import DataContractError, DomainError
from careshift.domain.events import (
    AppointmentBooked,
    AppointmentCancelled,
    Event,
    EventReversed,
    EventStatus,
    PatientArrived,
    PatientDeparted,
)
from careshift.domain.time import zone
from careshift.domain.workforce import Credential, Staff, Unit, UnitType

LOCATION_PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
TIMEZONE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/timezone"
V3_ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PRACTITIONER_ROLE = "http://terminology.hl7.org/CodeSystem/practitioner-role"
SNOMED = "http://snomed.info/sct"
CARESHIFT_ROLE = "urn:careshift:role"
"""Codes in this system are careshift role codes as they are (``RN``, ``LPN``, ``CHARGE``)."""

PATIENT_LINKED = frozenset({"Patient", "Encounter", "Appointment"})
"""Resource types whose ids point at a patient: they leave the adapter only as keyed hashes
(and the client's logs and errors show ``<id>`` in their place)."""

# Required value sets of the R4 elements careshift acts on. fhir.resources accepts any code.
ENCOUNTER_STATUS = frozenset(
    {"planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled", "entered-in-error", "unknown"}
)
ENCOUNTER_LOCATION_STATUS = frozenset({"planned", "active", "reserved", "completed"})
APPOINTMENT_STATUS = frozenset(
    {
        "proposed",
        "pending",
        "booked",
        "arrived",
        "fulfilled",
        "cancelled",
        "noshow",
        "entered-in-error",
        "checked-in",
        "waitlist",
    }
)
LOCATION_STATUS = frozenset({"active", "suspended", "inactive"})
LOCATION_MODE = frozenset({"instance", "kind"})
ENCOUNTER_CLASS = frozenset({"AMB", "EMER", "FLD", "HH", "IMP", "ACUTE", "NONAC", "OBSENC", "PRENC", "SS", "VR"})

DEFAULT_ROLE_CODES: Mapping[tuple[str, str], str] = {
    (PRACTITIONER_ROLE, "nurse"): "RN",
    (PRACTITIONER_ROLE, "doctor"): "MD",
    (PRACTITIONER_ROLE, "pharmacist"): "PHARM",
    (SNOMED, "224535009"): "RN",  # Registered nurse
}
DEFAULT_UNIT_TYPES: Mapping[tuple[str, str], UnitType] = {
    (V3_ROLE_CODE, "ICU"): UnitType.ICU,
    (V3_ROLE_CODE, "CCU"): UnitType.ICU,
    (V3_ROLE_CODE, "PEDICU"): UnitType.ICU,
    (V3_ROLE_CODE, "PEDNICU"): UnitType.NICU,
    (V3_ROLE_CODE, "ER"): UnitType.ED,
    (V3_ROLE_CODE, "ETU"): UnitType.ED,
    (V3_ROLE_CODE, "PEDU"): UnitType.PEDIATRICS,
}

_ARRIVED_STATES = {"arrived", "triaged", "in-progress", "onleave", "finished", "unknown"}
_VOID_STATES = {"cancelled", "entered-in-error"}


@dataclass(frozen=True)
class MappingConfig:
    """How one FHIR source maps onto careshift.

    ``source_system`` goes into every event's idempotency key, so it must be stable for the
    source (e.g. ``fhir:epic-prod``). ``hasher(kind, id)`` turns Encounter/Appointment ids into
    keyed hashes (a :class:`careshift.adapters.keyed_hash.KeyedHasher` or any keyed HMAC with
    that signature); it must stay the same across runs or re-read encounters get new keys.
    ``role_codes`` and ``unit_types`` map ``(system, code)`` pairs; extend them for local
    code systems.
    """

    source_system: str
    hasher: Callable[[str, str], str]
    default_timezone: str = "UTC"
    unit_identifier_system: str | None = None
    staff_identifier_system: str | None = None
    role_codes: Mapping[tuple[str, str], str] = field(default_factory=lambda: dict(DEFAULT_ROLE_CODES))
    unit_types: Mapping[tuple[str, str], UnitType] = field(default_factory=lambda: dict(DEFAULT_UNIT_TYPES))


# ---------------------------------------------------------------------- parsing


def parse_resource(raw: Mapping[str, Any], expected: str | None = None) -> Any:
    """Parse a JSON resource into its ``fhir.resources`` R4B model.

    Raises :class:`DataContractError` naming the resource type and id and the failing
    fields; the offending *values* are left out of the message because they may be PHI.
    """
    from fhir.resources.R4B import get_fhir_model_class

    resource_type = str(raw.get("resourceType", ""))
    where = _name_raw(raw)
    if expected is not None and resource_type != expected:
        raise DataContractError(f"expected a {expected}, got {resource_type or 'no resourceType'}", source=where)
    try:
        model = get_fhir_model_class(resource_type)
    except KeyError as exc:
        raise DataContractError(f"unknown resourceType {resource_type!r}", source=where) from exc
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False)
        )
        raise DataContractError(
            f"not a valid R4 {resource_type}: {problems}; fix these elements", source=where
        ) from exc


def _name_raw(raw: Mapping[str, Any]) -> str:
    resource_type = str(raw.get("resourceType", "resource"))
    return (
        f"{resource_type}/{raw.get('id', '?')}" if resource_type not in {"Encounter", "Appointment"} else resource_type
    )


def reference_key(reference: str | None) -> str | None:
    """``Location/12`` from ``Location/12``, ``https://ehr/fhir/Location/12/_history/3`` etc."""
    if not reference or reference.startswith("#"):
        return None
    parts = [p for p in reference.split("?")[0].split("/") if p]
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    if len(parts) < 2:
        return None
    return f"{parts[-2]}/{parts[-1]}"


def _codings(concepts: Iterable[Any] | None) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for concept in concepts or ():
        for coding in concept.coding or ():
            if coding.code:
                pairs.append((str(coding.system or ""), str(coding.code)))
    return pairs


def _check_code(value: str | None, allowed: frozenset[str], element: str, where: str) -> str:
    if value is None or value not in allowed:
        raise DataContractError(
            f"{element} is {value!r}, not one of {', '.join(sorted(allowed))}; correct the code at the source",
            source=where,
        )
    return value


def _aware(value: Any, element: str, where: str) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise DataContractError(
                f"{element} has no timezone offset; send it as an instant with offset", source=where
            )
        return value
    raise DataContractError(f"{element} is a date without a time ({value}); send a dateTime with offset", source=where)


# ---------------------------------------------------------------------- locations → units


@dataclass(frozen=True)
class LocationDirectory:
    """Which unit each Location belongs to, and the units themselves."""

    units: tuple[Unit, ...]
    unit_of_location: Mapping[str, str]

    def unit_of(self, reference: str | None) -> str | None:
        """The unit id of ``Location/<id>`` (a ward, or a bed/room under one), if any."""
        key = reference_key(reference)
        return None if key is None else self.unit_of_location.get(key)

    @classmethod
    def from_locations(cls, raw_locations: Iterable[Mapping[str, Any]], config: MappingConfig) -> LocationDirectory:
        """Build the directory from all Location resources of the source."""
        locations = {}
        for raw in raw_locations:
            location = parse_resource(raw, "Location")
            where = f"Location/{location.id}"
            if location.status is not None:
                _check_code(location.status, LOCATION_STATUS, "Location.status", where)
            if location.mode is not None:
                _check_code(location.mode, LOCATION_MODE, "Location.mode", where)
            if location.mode == "kind":
                continue  # a kind of location (e.g. "ambulance"), not a place patients can be
            locations[f"Location/{location.id}"] = location

        unit_ids: dict[str, str] = {}
        for key, location in locations.items():
            unit_id = _unit_id(location, config)
            if unit_id is None:
                continue
            clash = next((other for other, known in unit_ids.items() if known == unit_id), None)
            if clash is not None:
                raise DataContractError(
                    f"maps to unit {unit_id!r} like {clash}; give each ward its own unit identifier", source=key
                )
            unit_ids[key] = unit_id

        unit_of: dict[str, str] = {}
        for key in locations:
            seen: list[str] = []
            current: str | None = key
            while current is not None and current in locations and current not in unit_ids:
                if current in seen:
                    raise DataContractError(
                        f"partOf forms a cycle ({' → '.join([*seen, current])}); fix Location.partOf", source=key
                    )
                seen.append(current)
                current = reference_key(locations[current].partOf.reference if locations[current].partOf else None)
            if current is not None and current in unit_ids:
                unit_of[key] = unit_ids[current]

        beds: dict[str, int] = dict.fromkeys(unit_ids.values(), 0)
        for key, location in locations.items():
            is_bed = (LOCATION_PHYSICAL_TYPE, "bd") in _codings(
                [location.physicalType] if location.physicalType else []
            )
            if is_bed and key in unit_of and location.status in (None, "active"):
                beds[unit_of[key]] += 1

        units = tuple(
            _unit(locations[key], unit_id, beds[unit_id], config) for key, unit_id in sorted(unit_ids.items())
        )
        return cls(units=units, unit_of_location=unit_of)


def _unit_id(location: Any, config: MappingConfig) -> str | None:
    if config.unit_identifier_system is not None:
        for identifier in location.identifier or ():
            if identifier.system == config.unit_identifier_system and identifier.value:
                return str(identifier.value)
    physical = _codings([location.physicalType] if location.physicalType else [])
    if (LOCATION_PHYSICAL_TYPE, "wa") in physical:
        return str(location.id)
    return None


def _unit(location: Any, unit_id: str, beds: int, config: MappingConfig) -> Unit:
    where = f"Location/{location.id}"
    unit_type = UnitType.OTHER
    for pair in _codings(location.type):
        if pair in config.unit_types:
            unit_type = config.unit_types[pair]
            break
    timezone = config.default_timezone
    for extension in location.extension or ():
        if extension.url == TIMEZONE_EXTENSION and extension.valueCode:
            timezone = str(extension.valueCode)
    try:
        zone(timezone)
        return Unit(id=unit_id, name=str(location.name or unit_id), unit_type=unit_type, timezone=timezone, beds=beds)
    except DomainError as exc:
        raise DataContractError(
            f"timezone extension {timezone!r} is not an IANA zone; use e.g. America/Los_Angeles", source=where
        ) from exc


# ---------------------------------------------------------------------- encounters → census events


@dataclass(frozen=True)
class _Stay:
    unit: str
    start: datetime
    end: datetime | None


def encounter_events(
    raw: Mapping[str, Any], directory: LocationDirectory, config: MappingConfig, recorded_at: datetime
) -> tuple[Event, ...]:
    """Census events of one Encounter (see the module docstring for the rules).

    Event keys depend only on the hashed encounter id, the unit and the stay's start, so
    reading the same Encounter again (in a later page or export) yields the same keys and the
    idempotent event log ignores them; a departure appears once ``period.end`` is filled in.
    """
    hashed = config.hasher("Encounter", str(raw.get("id", "")))
    where = f"Encounter#{hashed}"
    encounter = _parse_hashed(raw, "Encounter", where)
    status = _check_code(encounter.status, ENCOUNTER_STATUS, "Encounter.status", where)
    klass = encounter.class_fhir
    if klass is not None and klass.system == V3_ACT_CODE:
        _check_code(klass.code, ENCOUNTER_CLASS, "Encounter.class", where)
    patient_class = str(klass.code) if klass is not None and klass.code else ""
    if status == "planned":
        return ()

    stays = _stays(encounter, directory, where)
    if status in _VOID_STATES:
        occurred = _last_updated(encounter) or recorded_at
        keys = [key for stay in stays for key in _stay_keys(hashed, stay)[: 2 if stay.end is not None else 1]]
        return tuple(
            EventReversed(
                occurred_at=occurred,
                recorded_at=recorded_at,
                source_system=config.source_system,
                source_id=f"{source_id}/reversed",
                entity_id=hashed,
                unit=unit,
                reverses=(config.source_system, source_id),
            )
            for source_id, unit in keys
        )

    if status == "finished" and stays and stays[-1].end is None:
        period_end = encounter.period.end if encounter.period is not None else None
        if period_end is None:
            raise DataContractError(
                "is finished but its last location has no period.end and the Encounter no period.end; "
                "set one of them so careshift can discharge the patient",
                source=where,
            )
        stays[-1] = _Stay(stays[-1].unit, stays[-1].start, _aware(period_end, "Encounter.period.end", where))

    event_status = EventStatus.TENTATIVE if status == "unknown" else EventStatus.FINAL
    events: list[Event] = []
    for index, stay in enumerate(stays):
        (arrival_id, _), (departure_id, _) = _stay_keys(hashed, stay)
        events.append(
            PatientArrived(
                occurred_at=stay.start,
                recorded_at=recorded_at,
                source_system=config.source_system,
                source_id=arrival_id,
                entity_id=hashed,
                unit=stay.unit,
                status=event_status,
                patient_class=patient_class,
            )
        )
        if stay.end is not None:
            transfer = index + 1 < len(stays)
            events.append(
                PatientDeparted(
                    occurred_at=stay.end,
                    recorded_at=recorded_at,
                    source_system=config.source_system,
                    source_id=departure_id,
                    entity_id=hashed,
                    unit=stay.unit,
                    status=event_status,
                    reason="transfer" if transfer else ("discharge" if status == "finished" else "left unit"),
                )
            )
    return tuple(events)


def _parse_hashed(raw: Mapping[str, Any], expected: str, where: str) -> Any:
    try:
        return parse_resource(raw, expected)
    except DataContractError as exc:
        # parse_resource names Encounters/Appointments by type only; add the hashed id.
        raise DataContractError(exc.detail, source=where) from exc


def _stays(encounter: Any, directory: LocationDirectory, where: str) -> list[_Stay]:
    visits: list[_Stay] = []
    for index, entry in enumerate(encounter.location or ()):
        element = f"Encounter.location[{index}]"
        if entry.status is not None:
            _check_code(entry.status, ENCOUNTER_LOCATION_STATUS, f"{element}.status", where)
        if entry.status in ("planned", "reserved"):
            continue
        reference = entry.location.reference if entry.location is not None else None
        unit = directory.unit_of(reference)
        if unit is None:
            raise DataContractError(
                f"{element} refers to {reference_key(reference) or reference!r}, which is not a unit or part of one; "
                "load the Location (with partOf up to its ward) or map it with a unit identifier",
                source=where,
            )
        if entry.period is None or entry.period.start is None:
            raise DataContractError(
                f"{element}.period.start is missing; careshift needs the arrival time", source=where
            )
        start = _aware(entry.period.start, f"{element}.period.start", where)
        end = _aware(entry.period.end, f"{element}.period.end", where) if entry.period.end is not None else None
        if end is not None and end < start:
            raise DataContractError(f"{element}.period ends before it starts", source=where)
        visits.append(_Stay(unit, start, end))
    visits.sort(key=lambda stay: stay.start)

    stays: list[_Stay] = []
    for visit in visits:
        last = stays[-1] if stays else None
        if last is not None and last.unit == visit.unit and (last.end is None or last.end >= visit.start):
            # A bed or room move inside the unit: one continuous stay, not depart + arrive.
            end = None if last.end is None or visit.end is None else max(last.end, visit.end)
            stays[-1] = _Stay(last.unit, last.start, end)
        else:
            stays.append(visit)
    for index in range(len(stays) - 1):
        current, following = stays[index], stays[index + 1]
        if current.end is None or current.end > following.start:
            # A patient is on one unit at a time: a stay the source left open (or overlapping)
            # ends when the next one starts, so the census does not count them twice.
            stays[index] = _Stay(current.unit, current.start, following.start)
    return stays


def _stay_keys(hashed: str, stay: _Stay) -> tuple[tuple[str, str], tuple[str, str]]:
    stem = f"Encounter/{hashed}/{stay.unit}/{stay.start.astimezone(UTC).isoformat()}"
    return (f"{stem}/arrived", stay.unit), (f"{stem}/departed", stay.unit)


def _last_updated(resource: Any) -> datetime | None:
    meta = resource.meta
    if meta is not None and isinstance(meta.lastUpdated, datetime) and meta.lastUpdated.tzinfo is not None:
        return meta.lastUpdated
    return None


# ---------------------------------------------------------------------- appointments


def appointment_events(
    raw: Mapping[str, Any], directory: LocationDirectory, config: MappingConfig, recorded_at: datetime
) -> tuple[Event, ...]:
    """Scheduled demand from one Appointment, on the unit of its Location participant."""
    hashed = config.hasher("Appointment", str(raw.get("id", "")))
    where = f"Appointment#{hashed}"
    appointment = _parse_hashed(raw, "Appointment", where)
    status = _check_code(appointment.status, APPOINTMENT_STATUS, "Appointment.status", where)
    booking_id = f"Appointment/{hashed}"
    unit = None
    for participant in appointment.participant or ():
        if participant.actor is not None:
            unit = unit or directory.unit_of(participant.actor.reference)

    if status in ("cancelled", "noshow", "entered-in-error"):
        return (
            AppointmentCancelled(
                occurred_at=_last_updated(appointment) or recorded_at,
                recorded_at=recorded_at,
                source_system=config.source_system,
                source_id=f"{booking_id}/cancelled",
                entity_id=hashed,
                unit=unit,
                booking_key=(config.source_system, booking_id),
            ),
        )
    tentative = status in ("proposed", "pending", "waitlist")
    if appointment.start is None or appointment.end is None:
        if tentative:
            return ()  # not yet placed in time: no demand to plan for
        raise DataContractError(f"is {status} but has no start/end; FHIR requires both once booked", source=where)
    if unit is None:
        raise DataContractError(
            "has no participant whose actor is a Location on a careshift unit; add the Location "
            "participant (or map its Location to a unit) so the demand lands on a unit",
            source=where,
        )
    start = _aware(appointment.start, "Appointment.start", where)
    end = _aware(appointment.end, "Appointment.end", where)
    if end <= start:
        raise DataContractError("Appointment.end is not after Appointment.start", source=where)
    return (
        AppointmentBooked(
            occurred_at=start,
            recorded_at=recorded_at,
            source_system=config.source_system,
            source_id=booking_id,
            entity_id=hashed,
            unit=unit,
            status=EventStatus.TENTATIVE if tentative else EventStatus.FINAL,
            start=start,
            end=end,
        ),
    )


# ---------------------------------------------------------------------- staff


def staff_from(
    raw_practitioner: Mapping[str, Any],
    raw_roles: Sequence[Mapping[str, Any]],
    directory: LocationDirectory,
    config: MappingConfig,
    on: date,
) -> Staff | None:
    """One rosterable member of staff from a Practitioner and its PractitionerRoles.

    Returns ``None`` when the Practitioner is inactive or has no role active ``on`` that day.
    Credentials keep their expiry (``qualification.period.end``), so the checker can refuse a
    shift after a licence lapses; qualifications that start after ``on`` are left out.
    """
    practitioner = parse_resource(raw_practitioner, "Practitioner")
    where = f"Practitioner/{practitioner.id}"
    if practitioner.active is False:
        return None
    staff_id = str(practitioner.id)
    if config.staff_identifier_system is not None:
        for identifier in practitioner.identifier or ():
            if identifier.system == config.staff_identifier_system and identifier.value:
                staff_id = str(identifier.value)

    roles: set[str] = set()
    skills: set[str] = set()
    units: list[str] = []
    for raw_role in raw_roles:
        role = parse_resource(raw_role, "PractitionerRole")
        role_where = f"PractitionerRole/{role.id}"
        if (
            reference_key(role.practitioner.reference if role.practitioner else None)
            != f"Practitioner/{practitioner.id}"
        ):
            raise DataContractError(f"belongs to another practitioner, not {where}", source=role_where)
        if role.active is False or not _covers(role.period, on):
            continue
        codes = _codings(role.code)
        mapped = {config.role_codes[pair] for pair in codes if pair in config.role_codes}
        mapped |= {code for system, code in codes if system == CARESHIFT_ROLE}
        if not mapped:
            shown = ", ".join(f"{system}|{code}" for system, code in codes) or "no coded role"
            raise DataContractError(
                f"PractitionerRole.code has {shown}, none of which careshift knows; add the code to "
                f"MappingConfig.role_codes or code it in {CARESHIFT_ROLE}",
                source=role_where,
            )
        roles |= mapped
        skills |= {code.lower() for _, code in _codings(role.specialty)}
        for reference in role.location or ():
            unit = directory.unit_of(reference.reference)
            if unit is not None and unit not in units:
                units.append(unit)
    if not roles:
        return None

    credentials = []
    for index, qualification in enumerate(practitioner.qualification or ()):
        codes = _codings([qualification.code])
        code = codes[0][1] if codes else (qualification.code.text if qualification.code else None)
        if not code:
            raise DataContractError(f"Practitioner.qualification[{index}].code has no code or text", source=where)
        period = qualification.period
        if period is not None and period.start is not None and _as_date(period.start) > on:
            continue
        expires = _as_date(period.end) if period is not None and period.end is not None else None
        credentials.append(Credential(code=str(code), expires=expires))

    return Staff(
        id=staff_id,
        name=_human_name(practitioner),
        roles=frozenset(roles),
        skills=frozenset(skills),
        credentials=tuple(credentials),
        home_unit=units[0] if units else None,
        float_units=frozenset(units[1:]),
    )


def _covers(period: Any, on: date) -> bool:
    if period is None:
        return True
    if period.start is not None and _as_date(period.start) > on:
        return False
    return not (period.end is not None and _as_date(period.end) < on)


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _human_name(practitioner: Any) -> str:
    for name in practitioner.name or ():
        if name.text:
            return str(name.text)
        parts = [*(name.given or ()), *([name.family] if name.family else [])]
        if parts:
            return " ".join(str(p) for p in parts)
    return ""
