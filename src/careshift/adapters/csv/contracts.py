"""The versioned data contracts for CSV files, and the typed rows they produce.

A file declares its contract in a header comment (``# contract: roster/1``) or the
importer is told it (``--contract 1``); without either, :data:`DEFAULT_VERSIONS` applies.
A new version is added, never edited in place: files written for ``staff/1`` keep reading
the same way after ``staff/2`` exists.

===========  =========================================================================
contract     columns (``*`` required)
===========  =========================================================================
units/1      unit_id*, name*, unit_type*, timezone*, beds*
staff/1      staff_id*, name, roles*, skills, credentials, contract_id, home_unit,
             float_units, seniority, updated_at
staff/2      as staff/1 but ``updated_at`` is required (the quality gate's staleness check
             needs it)
roster/1     staff_id*, unit*, shift*, start*, end*, skill
census/1     unit*, at*, patients*, acuity_extra_staff
callouts/1   staff_id*, day*, reported_at*, shift, unit, reason
===========  =========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from careshift.adapters.csv.schema import (
    AnyContract,
    Column,
    ColumnType,
    DataContract,
    FileKind,
    ImportContext,
    Problem,
    RowReader,
    SemanticRule,
)
from careshift.domain.demand import Census
from careshift.domain.errors import DataContractError
from careshift.domain.schedule import Assignment
from careshift.domain.time import Interval, floor_to_grid
from careshift.domain.workforce import Staff, Unit, UnitType

ROLE_CODES = frozenset({"RN", "LPN", "CNA", "CHARGE"})
"""Job codes: registered nurse, licensed practical nurse, certified nursing assistant, charge nurse."""

LICENCE_LEVELS = frozenset({"RN", "LPN", "CNA"})
"""Role codes that are licence levels: a person holds at most one of them."""

SKILL_CODES = frozenset(
    {
        "icu",
        "step_down",
        "telemetry",
        "med_surg",
        "ed",
        "triage",
        "trauma",
        "peds",
        "nicu",
        "picu",
        "labor_delivery",
        "postpartum",
        "oncology",
        "chemo",
        "psych",
        "pacu",
        "or",
        "dialysis",
        "stroke",
        "burn",
        "vent",
        "preceptor",
        "charge",
        "float",
    }
)
"""Skill codes of contract version 1 (what a person may cover on a shift)."""

CALLOUT_REASONS = frozenset({"sick", "family", "emergency", "injury", "transport", "other"})
MAX_SHIFT = timedelta(hours=24)
SHIFT_CODE_LENGTH = 32  # the store's roster keeps shift codes in 32 characters


# -- typed rows -------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitRow:
    """A unit from a units file."""

    unit: Unit


@dataclass(frozen=True)
class StaffRow:
    """A member of staff, with when the source last changed the record (``None``: not given)."""

    staff: Staff
    updated_at: datetime | None


@dataclass(frozen=True)
class RosterRow:
    """One assignment with its real interval (the day is the start's local date)."""

    assignment: Assignment
    interval: Interval


@dataclass(frozen=True)
class CensusRow:
    """A census snapshot: ``patients`` on ``unit`` at ``at``."""

    unit: str
    at: datetime
    patients: int
    acuity_extra_staff: int = 0

    def to_census(self) -> Census:
        """The domain census of the 15-minute interval holding ``at``."""
        return Census(self.unit, floor_to_grid(self.at), self.patients, self.acuity_extra_staff)


@dataclass(frozen=True)
class CalloutRow:
    """Staff ``staff`` will not work ``shift`` (``None``: the whole day) on ``day``."""

    staff: str
    day: date
    reported_at: datetime
    shift: str | None = None
    unit: str | None = None
    reason: str = ""


CsvRecord = UnitRow | StaffRow | RosterRow | CensusRow | CalloutRow


# -- shared semantic checks ---------------------------------------------------------------


def _unit_known(unit: str | None, context: ImportContext, column: str) -> Problem | None:
    if unit is None or context.known_units is None or unit in context.known_units:
        return None
    return Problem(
        f"unit {unit!r} is not known",
        "import the units file first (careshift import csv --kind units) or correct the unit id",
        column=column,
    )


def _staff_known(staff: str, context: ImportContext, column: str = "staff_id") -> Problem | None:
    if context.known_staff is None or staff in context.known_staff:
        return None
    return Problem(
        f"staff {staff!r} is not known",
        "import the staff file first (careshift import csv --kind staff) or correct the staff id",
        column=column,
    )


def _day_in_horizon(day: date, context: ImportContext, column: str) -> Problem | None:
    if day in context.horizon:
        return None
    last = context.horizon.end - timedelta(days=1)
    return Problem(
        f"{day.isoformat()} is outside the horizon {context.horizon.start.isoformat()}..{last.isoformat()}",
        "correct the date, or widen the horizon with --horizon-start/--horizon-days",
        column=column,
    )


def _not_in_future(instant: datetime | None, context: ImportContext, column: str) -> Problem | None:
    if instant is None or instant <= context.now + context.clock_skew:
        return None
    return Problem(
        f"{instant.isoformat()} is in the future (now is {context.now.isoformat()})",
        "correct the timestamp or the sending system's clock",
        column=column,
    )


# -- units ----------------------------------------------------------------------------------

UNIT_COLUMNS = (
    Column("unit_id", ColumnType.ID, description="the unit's id, used by every other file"),
    Column("name", ColumnType.TEXT, description="what the ward calls itself, e.g. 4 West"),
    Column("unit_type", ColumnType.CODE, choices=frozenset(t.value for t in UnitType), description="for ratio laws"),
    Column("timezone", ColumnType.TIMEZONE, description="the unit's IANA clock"),
    Column("beds", ColumnType.INTEGER, minimum=0, maximum=10_000, description="staffed beds"),
)


def _build_unit(row: RowReader) -> UnitRow | None:
    unit_id, name, unit_type = row.identifier("unit_id"), row.text("name"), row.code("unit_type")
    timezone, beds = row.timezone("timezone"), row.integer("beds")
    if unit_id is None or name is None or unit_type is None or timezone is None or beds is None:
        return None
    return UnitRow(Unit(unit_id, name, UnitType(unit_type), timezone, beds))


UNITS_V1: DataContract[UnitRow] = DataContract(
    kind=FileKind.UNITS,
    version="1",
    columns=UNIT_COLUMNS,
    build=_build_unit,
    rules=(),
    key=lambda row: row.unit.id,
    default_horizon=(0, 0),
    description="Units (wards) with their type, clock and beds.",
)


# -- staff ----------------------------------------------------------------------------------


def _staff_columns(updated_at_required: bool) -> tuple[Column, ...]:
    return (
        Column("staff_id", ColumnType.ID, description="the workforce system's id for the person"),
        Column("name", ColumnType.TEXT, required=False, description="display name"),
        Column("roles", ColumnType.CODE_LIST, choices=ROLE_CODES, description="job codes"),
        Column("skills", ColumnType.CODE_LIST, required=False, choices=SKILL_CODES, description="coverable skills"),
        Column("credentials", ColumnType.CREDENTIALS, required=False, description="licences and certifications"),
        Column("contract_id", ColumnType.ID, required=False, description="employment contract (default: default)"),
        Column("home_unit", ColumnType.ID, required=False, description="the unit the person belongs to"),
        Column("float_units", ColumnType.ID_LIST, required=False, description="other units they are oriented to"),
        Column("seniority", ColumnType.INTEGER, required=False, minimum=0, maximum=80, description="years"),
        Column(
            "updated_at",
            ColumnType.DATETIME,
            required=updated_at_required,
            description="when the source last changed this record (staleness check)",
        ),
    )


def _build_staff(row: RowReader) -> StaffRow | None:
    staff_id = row.identifier("staff_id")
    name = row.text("name") or ""
    roles, skills = row.codes("roles"), row.codes("skills")
    credentials = row.credentials("credentials")
    contract_id = row.identifier("contract_id") or "default"
    home_unit, float_units = row.identifier("home_unit"), row.identifiers("float_units")
    seniority = row.integer("seniority") or 0
    updated_at = row.instant("updated_at")
    if staff_id is None or not row.ok:
        return None
    staff = Staff(
        id=staff_id,
        name=name,
        roles=roles,
        skills=skills,
        credentials=credentials,
        contract_id=contract_id,
        home_unit=home_unit,
        float_units=float_units,
        seniority=seniority,
    )
    return StaffRow(staff, updated_at)


def _charge_nurse_is_rn(row: StaffRow, _: ImportContext) -> Problem | None:
    if "CHARGE" in row.staff.roles and "RN" not in row.staff.roles:
        return Problem("roles list CHARGE without RN", "add RN: a charge nurse is a registered nurse", column="roles")
    return None


def _one_licence_level(row: StaffRow, _: ImportContext) -> Problem | None:
    levels = sorted(row.staff.roles & LICENCE_LEVELS)
    if len(levels) > 1:
        return Problem(
            f"roles hold {len(levels)} licence levels ({', '.join(levels)})",
            "keep only the level of the person's current licence",
            column="roles",
        )
    return None


def _staff_units_known(row: StaffRow, context: ImportContext) -> Problem | None:
    problem = _unit_known(row.staff.home_unit, context, "home_unit")
    if problem is not None:
        return problem
    for unit in sorted(row.staff.float_units):
        problem = _unit_known(unit, context, "float_units")
        if problem is not None:
            return problem
    return None


STAFF_RULES: tuple[SemanticRule[StaffRow], ...] = (
    SemanticRule("charge_nurse_is_rn", "a CHARGE role needs the RN role too", _charge_nurse_is_rn),
    SemanticRule("one_licence_level", "at most one of RN, LPN, CNA", _one_licence_level),
    SemanticRule("units_known", "home and float units are known units", _staff_units_known),
    SemanticRule(
        "updated_at_not_in_future",
        "the record cannot have changed after now",
        lambda row, context: _not_in_future(row.updated_at, context, "updated_at"),
    ),
)


def _staff_contract(version: str, updated_at_required: bool, description: str) -> DataContract[StaffRow]:
    return DataContract(
        kind=FileKind.STAFF,
        version=version,
        columns=_staff_columns(updated_at_required),
        build=_build_staff,
        rules=STAFF_RULES,
        key=lambda row: row.staff.id,
        default_horizon=(0, 0),
        description=description,
    )


STAFF_V1 = _staff_contract("1", False, "Staff with roles, skills, credentials and units.")
STAFF_V2 = _staff_contract("2", True, "As staff/1, with updated_at required for the staleness check.")


# -- roster ---------------------------------------------------------------------------------

ROSTER_COLUMNS = (
    Column("staff_id", ColumnType.ID, description="who works"),
    Column("unit", ColumnType.ID, description="where"),
    Column("shift", ColumnType.ID, description="the shift type code, e.g. D, E, N", max_length=SHIFT_CODE_LENGTH),
    Column("start", ColumnType.DATETIME, description="when the shift starts, with UTC offset"),
    Column("end", ColumnType.DATETIME, description="when the shift ends, with UTC offset"),
    Column("skill", ColumnType.CODE, required=False, choices=SKILL_CODES, description="the skill covered"),
)


def _build_roster(row: RowReader) -> RosterRow | None:
    staff, unit, shift = row.identifier("staff_id"), row.identifier("unit"), row.identifier("shift")
    start, end, skill = row.instant("start"), row.instant("end"), row.code("skill")
    if staff is None or unit is None or shift is None or start is None or end is None or not row.ok:
        return None
    if end <= start:
        # Checked here, not as a rule, because a backwards Interval cannot even be built.
        row.problems.append(
            Problem(
                f"ends ({end.isoformat()}) at or before it starts ({start.isoformat()})",
                "give an end after the start; a night shift ends on the next day's date",
                column="end",
                rule="end_after_start",
            )
        )
        return None
    return RosterRow(Assignment(staff, start.date(), shift, skill, unit), Interval(start, end))


def _at_most_24_hours(row: RosterRow, _: ImportContext) -> Problem | None:
    if row.interval.duration <= MAX_SHIFT:
        return None
    hours = row.interval.duration.total_seconds() / 3600
    return Problem(f"the shift lasts {hours:.1f} h", "split it into shifts of at most 24 h", column="end")


ROSTER_V1: DataContract[RosterRow] = DataContract(
    kind=FileKind.ROSTER,
    version="1",
    columns=ROSTER_COLUMNS,
    build=_build_roster,
    rules=(
        SemanticRule("at_most_24_hours", "one row is at most one 24 h shift", _at_most_24_hours),
        SemanticRule(
            "starts_in_horizon",
            "the shift starts inside the horizon",
            lambda row, context: _day_in_horizon(row.assignment.day, context, "start"),
        ),
        SemanticRule(
            "unit_known", "the unit is known", lambda row, context: _unit_known(row.assignment.unit, context, "unit")
        ),
        SemanticRule(
            "staff_known", "the staff member is known", lambda row, context: _staff_known(row.assignment.staff, context)
        ),
    ),
    key=lambda row: f"{row.assignment.staff}@{row.interval.start.isoformat()}",
    default_horizon=(60, 366),
    description="Assignments of staff to shifts on units, with real start and end.",
)


# -- census ---------------------------------------------------------------------------------

CENSUS_COLUMNS = (
    Column("unit", ColumnType.ID, description="the unit counted"),
    Column("at", ColumnType.DATETIME, description="when the count was taken, with UTC offset"),
    Column("patients", ColumnType.INTEGER, minimum=0, maximum=10_000, description="patients on the unit (never < 0)"),
    Column(
        "acuity_extra_staff",
        ColumnType.INTEGER,
        required=False,
        minimum=0,
        maximum=100,
        description="extra staff the acuity calls for",
    ),
)


def _build_census(row: RowReader) -> CensusRow | None:
    unit, at, patients = row.identifier("unit"), row.instant("at"), row.integer("patients")
    extra = row.integer("acuity_extra_staff") or 0
    if unit is None or at is None or patients is None or not row.ok:
        return None
    return CensusRow(unit, at, patients, extra)


CENSUS_V1: DataContract[CensusRow] = DataContract(
    kind=FileKind.CENSUS,
    version="1",
    columns=CENSUS_COLUMNS,
    build=_build_census,
    rules=(
        SemanticRule(
            "not_in_future",
            "a census is counted, not predicted",
            lambda row, context: _not_in_future(row.at, context, "at"),
        ),
        SemanticRule(
            "in_horizon",
            "the count falls inside the horizon",
            lambda row, context: _day_in_horizon(row.at.date(), context, "at"),
        ),
        SemanticRule("unit_known", "the unit is known", lambda row, context: _unit_known(row.unit, context, "unit")),
    ),
    key=lambda row: f"{row.unit}@{row.at.isoformat()}",
    default_horizon=(60, 1),
    description="Census snapshots per unit (counts only, never patient ids).",
)


# -- call-outs ------------------------------------------------------------------------------

CALLOUT_COLUMNS = (
    Column("staff_id", ColumnType.ID, description="who called out"),
    Column("day", ColumnType.DATE, description="the day they will not work"),
    Column("reported_at", ColumnType.DATETIME, description="when the call-out was received, with UTC offset"),
    Column(
        "shift",
        ColumnType.ID,
        required=False,
        description="the shift missed (empty: the whole day)",
        max_length=SHIFT_CODE_LENGTH,
    ),
    Column("unit", ColumnType.ID, required=False, description="the unit affected"),
    Column("reason", ColumnType.CODE, required=False, choices=CALLOUT_REASONS, description="why"),
)


def _build_callout(row: RowReader) -> CalloutRow | None:
    staff, day, reported = row.identifier("staff_id"), row.day("day"), row.instant("reported_at")
    shift, unit, reason = row.identifier("shift"), row.identifier("unit"), row.code("reason") or ""
    if staff is None or day is None or reported is None or not row.ok:
        return None
    return CalloutRow(staff, day, reported, shift, unit, reason)


CALLOUTS_V1: DataContract[CalloutRow] = DataContract(
    kind=FileKind.CALLOUTS,
    version="1",
    columns=CALLOUT_COLUMNS,
    build=_build_callout,
    rules=(
        SemanticRule(
            "day_in_horizon",
            "the day missed is inside the horizon",
            lambda row, context: _day_in_horizon(row.day, context, "day"),
        ),
        SemanticRule(
            "reported_not_in_future",
            "a call-out is reported before now",
            lambda row, context: _not_in_future(row.reported_at, context, "reported_at"),
        ),
        SemanticRule("staff_known", "the staff member is known", lambda row, context: _staff_known(row.staff, context)),
        SemanticRule(
            "unit_known", "the unit, if given, is known", lambda row, context: _unit_known(row.unit, context, "unit")
        ),
    ),
    key=lambda row: f"{row.staff}@{row.day.isoformat()}/{row.shift or '*'}",
    default_horizon=(60, 366),
    description="Call-outs: staff who will not work a shift or day.",
)


# -- registry -------------------------------------------------------------------------------

CONTRACTS: dict[tuple[FileKind, str], AnyContract] = {
    (contract.kind, contract.version): contract
    for contract in (UNITS_V1, STAFF_V1, STAFF_V2, ROSTER_V1, CENSUS_V1, CALLOUTS_V1)
}

DEFAULT_VERSIONS: dict[FileKind, str] = dict.fromkeys(FileKind, "1")
"""The version used when neither the file header nor the caller names one. Always the
first version, so that a file written before a new version existed keeps its meaning."""


def contract_for(kind: FileKind, version: str | None = None, *, source: str | None = None) -> AnyContract:
    """The contract ``kind/version`` (default version when ``None``), or a clear error."""
    chosen = version or DEFAULT_VERSIONS[kind]
    contract = CONTRACTS.get((kind, chosen))
    if contract is None:
        known = ", ".join(sorted(c.id for c in CONTRACTS.values() if c.kind is kind))
        raise DataContractError(
            f"no contract {kind.value}/{chosen}; use one of {known}",
            source=source,
            location="header",
        )
    return contract
