"""Tiny CSV fixtures for the CSV adapter tests: a fixed clock, small files, in-memory stores."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from careshift.adapters.csv.importer import ImportOutcome, import_csv
from careshift.adapters.csv.memory import InMemoryReferenceData
from careshift.adapters.csv.schema import FileKind
from careshift.adapters.store.memory import MemoryStore
from careshift.domain.events import Event

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

UNITS = b"""# contract: units/1
unit_id,name,unit_type,timezone,beds
4W,4 West,med_surg,America/Los_Angeles,28
ICU,Intensive Care,icu,America/Los_Angeles,12
"""

STAFF = b"""# contract: staff/1
staff_id,name,roles,skills,credentials,home_unit,float_units,seniority,updated_at
N1,Ada,RN;CHARGE,med_surg;preceptor,RN-CA:2027-06-30;BLS,4W,ICU,12,2026-02-01T09:00:00-08:00
N2,Ben,LPN,med_surg,,4W,,3,2026-02-10T09:00:00-08:00
N3,Cy,CNA,,,4W,,1,
"""


@dataclass
class Stores:
    """The two ports the importer writes through, in memory."""

    store: MemoryStore = field(default_factory=MemoryStore)
    reference: InMemoryReferenceData = field(default_factory=InMemoryReferenceData)

    def events(self) -> list[Event]:
        return [stored.event for stored in self.store.read()]


def csv_bytes(*lines: str) -> bytes:
    """Lines joined into a file (each line already comma-separated)."""
    return ("\n".join(lines) + "\n").encode()


def seeded() -> Stores:
    """Stores that already know units 4W and ICU and staff N1–N3."""
    stores = Stores()
    run(UNITS, FileKind.UNITS, stores, "units.csv")
    run(STAFF, FileKind.STAFF, stores, "staff.csv")
    return stores


def run(data: bytes, kind: FileKind, stores: Stores, name: str = "file.csv", **kwargs: object) -> ImportOutcome:
    return import_csv(data, name, kind, stores.store, stores.reference, now=NOW, **kwargs)  # type: ignore[arg-type]
