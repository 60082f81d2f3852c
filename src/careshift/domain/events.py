"""The canonical event model: what adapters turn HL7, FHIR, CSV and stream input into.

Every event says when it happened (``occurred_at``), when we learned of it
(``recorded_at``), which system sent it and under which id (``source_system``,
``source_id``: together the idempotency key), and which entity it is about
(``entity_id``: a unit, a staff id, or a *keyed hash* of a patient/encounter — never a
raw patient identifier). ``status`` is the source's status (e.g. ``final``,
``tentative``) and ``confidence`` in [0, 1] how sure we are of it.

Events are facts, named in the past tense. A correction arrives as an
``EventReversed`` naming the key of the event it cancels (HL7 A11/A12/A13).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from careshift.domain.errors import DomainError
from careshift.domain.time import require_aware


class EventStatus(StrEnum):
    FINAL = "final"
    TENTATIVE = "tentative"
    PLANNED = "planned"


@dataclass(frozen=True, kw_only=True)
class Event:
    """Fields every canonical event carries."""

    occurred_at: datetime
    recorded_at: datetime
    source_system: str
    source_id: str
    entity_id: str
    unit: str | None = None
    status: EventStatus = EventStatus.FINAL
    confidence: float = 1.0

    def __post_init__(self) -> None:
        require_aware(self.occurred_at, f"{type(self).__name__}.occurred_at")
        require_aware(self.recorded_at, f"{type(self).__name__}.recorded_at")
        if not self.source_system or not self.source_id:
            raise DomainError(f"{type(self).__name__} needs source_system and source_id (the idempotency key)")
        if not 0.0 <= self.confidence <= 1.0:
            raise DomainError(f"{type(self).__name__}.confidence must be in [0, 1], got {self.confidence}")

    @property
    def key(self) -> tuple[str, str]:
        """The idempotency key: (source system, source id)."""
        return (self.source_system, self.source_id)

    @property
    def kind(self) -> str:
        return type(self).__name__


@dataclass(frozen=True, kw_only=True)
class PatientArrived(Event):
    """A patient arrived on ``unit`` (ED registration, admission, transfer in). +1 census."""

    patient_class: str = ""
    acuity: int | None = None


@dataclass(frozen=True, kw_only=True)
class PatientDeparted(Event):
    """A patient left ``unit`` (discharge, transfer out, leave of absence). −1 census."""

    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class CensusChanged(Event):
    """The census of ``unit`` was reported as ``patients`` (a snapshot, not a delta)."""

    patients: int

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.patients < 0:
            raise DomainError(f"census for {self.unit} from {self.source_system}/{self.source_id} is negative")


@dataclass(frozen=True, kw_only=True)
class AppointmentBooked(Event):
    """Scheduled demand on ``unit`` from ``start`` to ``end`` (surgery, infusion, clinic)."""

    start: datetime
    end: datetime


@dataclass(frozen=True, kw_only=True)
class AppointmentCancelled(Event):
    """A booked appointment (``booking_key``) will not happen."""

    booking_key: tuple[str, str]


@dataclass(frozen=True, kw_only=True)
class StaffClockedIn(Event):
    """Staff ``entity_id`` clocked in on ``unit``."""

    shift: str | None = None


@dataclass(frozen=True, kw_only=True)
class StaffCalledOut(Event):
    """Staff ``entity_id`` will not work ``shift`` on ``day`` (sickness, emergency)."""

    day: date
    shift: str | None = None
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class ShiftSwapped(Event):
    """Staff ``entity_id`` and ``other_staff`` swapped the shifts on the given days."""

    other_staff: str
    day: date
    shift: str
    other_day: date
    other_shift: str


@dataclass(frozen=True, kw_only=True)
class ResourceShortage(Event):
    """Something other than staff is short on ``unit`` (beds closed, equipment), with a count."""

    resource: str
    shortfall: int


@dataclass(frozen=True, kw_only=True)
class EventReversed(Event):
    """The event with key ``reverses`` is cancelled (HL7 A11/A12/A13, corrections)."""

    reverses: tuple[str, str]


EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        PatientArrived,
        PatientDeparted,
        CensusChanged,
        AppointmentBooked,
        AppointmentCancelled,
        StaffClockedIn,
        StaffCalledOut,
        ShiftSwapped,
        ResourceShortage,
        EventReversed,
    )
}
