"""The data-quality gate: is the data good enough to plan on?

Planning on bad data is worse than planning on none: a census that stopped updating at
03:00 or a nurse rostered on two units at once produces a confident, wrong roster. The
gate runs named checks over a :class:`QualitySnapshot` (what the store holds), each
returning :class:`QualityFinding` records with a severity, and turns them into a verdict:

``ok``
    nothing worth mentioning; plan normally.
``warn``
    at least ``warn_at`` warnings; plan, but show the findings beside the plan.
``block``
    at least ``block_at`` blocking findings, or ``escalate_warnings`` warnings; planning
    should fall back to degraded mode (DESIGN §3, fallback chain) until the data is fixed.

Every check is a pure function of the snapshot, the injected clock ``now`` and the
:class:`QualityThresholds` (which come from settings, see
:mod:`careshift.service.quality_settings`).

===========================  =========  =====================================================
check                        severity   what it finds
===========================  =========  =====================================================
no_data                      block      no staff, roster or census at all
stale_staff_record           warn       staff record not updated for ``stale_staff_days``
staff_missing_timestamp      warn       staff record with no update time
unknown_role_code            warn/block role not in ``known_roles`` (block if no known role left)
inconsistent_role_codes      warn/block CHARGE without RN, several licence levels, no role (block)
duplicate_assignment         warn       the same staff, day, shift and unit more than once
overlapping_assignments      block      one person in two places at once
assignment_missing_timestamp warn       roster entry without start or end
census_missing_timestamp     warn       census reading without a time
negative_census              block      a census below zero
census_in_future             warn       a census reading after ``now``
stale_census                 warn/block latest census of a unit older than ``census_max_age``
                                        (block beyond ``census_block_age``)
missing_census               block      an expected unit with no census report at all
===========================  =========  =====================================================
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from careshift.domain.events import CensusChanged, EventStatus
from careshift.domain.schedule import Assignment
from careshift.domain.time import GRID, floor_to_grid, require_aware
from careshift.service.ports import Store
from careshift.service.registry import ReferenceData, StaffRecord, TimedAssignment

ROSTER_SOURCE = "csv/roster"
"""The roster source system of CSV rows (see :mod:`careshift.adapters.csv.importer`)."""

DEFAULT_ROLES = frozenset({"RN", "LPN", "CNA", "CHARGE"})
LICENCE_LEVELS = frozenset({"RN", "LPN", "CNA"})


class Severity(StrEnum):
    """How much a finding matters to planning."""

    WARN = "warn"
    BLOCK = "block"


class Verdict(StrEnum):
    """The gate's decision; the CLI exits 0 / 1 / 3 for ok / warn / block."""

    OK = "ok"
    WARN = "warn"
    BLOCK = "block"

    @property
    def exit_code(self) -> int:
        return {Verdict.OK: 0, Verdict.WARN: 1, Verdict.BLOCK: 3}[self]


@dataclass(frozen=True)
class QualityThresholds:
    """The gate's knobs (set through :class:`careshift.service.quality_settings.QualitySettings`)."""

    stale_staff_days: int = 90
    census_max_age: timedelta = timedelta(hours=2)
    census_block_age: timedelta = timedelta(hours=12)
    clock_skew: timedelta = timedelta(minutes=5)
    known_roles: frozenset[str] = DEFAULT_ROLES
    warn_at: int = 1
    block_at: int = 1
    escalate_warnings: int | None = 50


@dataclass(frozen=True)
class CensusReading:
    """A census count for ``unit`` at ``at``: a report from a feed (``reported``: it shows the
    feed is alive; ``patients`` is ``None`` for an arrival or departure) or an interval of the
    census projection (``reported=False``: it says nothing about freshness).

    Unlike :class:`careshift.domain.demand.Census` this may be negative or undated: it is
    what the store holds, and finding such values is the gate's job.
    """

    unit: str
    at: datetime | None
    patients: int | None
    source: str = ""
    reported: bool = True


@dataclass(frozen=True)
class QualitySnapshot:
    """Everything the gate looks at. ``units`` lists units expected to report census;
    ``census_since`` is how far back the census readings go (``None``: all of history)."""

    staff: tuple[StaffRecord, ...] = ()
    roster: tuple[TimedAssignment, ...] = ()
    census: tuple[CensusReading, ...] = ()
    units: tuple[str, ...] = ()
    census_since: datetime | None = None


@dataclass(frozen=True)
class QualityFinding:
    """One problem in the data: which ``check``, how bad, which ``record``, why, and the fix."""

    check: str
    severity: Severity
    record: str
    reason: str
    fix: str
    source: str = ""


@dataclass(frozen=True)
class QualityReport:
    """All findings, the verdict, and when the gate ran. ``counts`` is findings per check,
    ``checked`` how many records of each kind were looked at."""

    checked_at: datetime
    findings: tuple[QualityFinding, ...]
    verdict: Verdict
    counts: dict[str, int]
    checked: dict[str, int]
    thresholds: QualityThresholds

    def to_json(self) -> dict[str, object]:
        """A JSON-ready view (for ``careshift quality --json``)."""
        return {
            "checked_at": self.checked_at.isoformat(),
            "verdict": self.verdict.value,
            "exit_code": self.verdict.exit_code,
            "counts": dict(self.counts),
            "checked": dict(self.checked),
            "findings": [
                {
                    "check": finding.check,
                    "severity": finding.severity.value,
                    "record": finding.record,
                    "reason": finding.reason,
                    "fix": finding.fix,
                    "source": finding.source,
                }
                for finding in self.findings
            ],
        }


Check = Callable[[QualitySnapshot, datetime, QualityThresholds], Iterator[QualityFinding]]


def _ago(now: datetime, then: datetime) -> str:
    hours = (now - then).total_seconds() / 3600
    return f"{hours / 24:.0f} days" if hours >= 48 else f"{hours:.1f} h"


def stale_staff_records(
    snapshot: QualitySnapshot, now: datetime, limits: QualityThresholds
) -> Iterator[QualityFinding]:
    """Staff records the source has not touched for more than ``stale_staff_days`` (warn):
    roles, skills and credentials may have changed since."""
    cutoff = now - timedelta(days=limits.stale_staff_days)
    for record in snapshot.staff:
        if record.updated_at is None:
            yield QualityFinding(
                "staff_missing_timestamp",
                Severity.WARN,
                f"staff {record.staff.id}",
                "the record has no update time, so its age is unknown",
                "send updated_at with staff records (contract staff/2 requires it)",
                record.source,
            )
        elif record.updated_at < cutoff:
            yield QualityFinding(
                "stale_staff_record",
                Severity.WARN,
                f"staff {record.staff.id}",
                f"last updated {_ago(now, record.updated_at)} ago (limit {limits.stale_staff_days} days)",
                "re-export the record from the workforce system, or confirm it and re-import it",
                record.source,
            )


def role_codes(snapshot: QualitySnapshot, _: datetime, limits: QualityThresholds) -> Iterator[QualityFinding]:
    """Unknown or inconsistent role codes. Ratio rules count staff by role, so a person
    with no usable role is not counted at all (block); other inconsistencies warn."""
    for record in snapshot.staff:
        staff, who = record.staff, f"staff {record.staff.id}"
        roles = staff.roles
        unknown = sorted(roles - limits.known_roles)
        known = roles & limits.known_roles
        if not roles:
            yield QualityFinding(
                "inconsistent_role_codes",
                Severity.BLOCK,
                who,
                "has no role, so no ratio rule can count them",
                f"give the record one of {', '.join(sorted(limits.known_roles))}",
                record.source,
            )
            continue
        if unknown:
            hints = [
                f"{code} (did you mean {code.upper()}?)" if code.upper() in limits.known_roles else code
                for code in unknown
            ]
            yield QualityFinding(
                "unknown_role_code",
                Severity.WARN if known else Severity.BLOCK,
                who,
                f"unknown role code {', '.join(hints)}" + ("" if known else "; no known role is left"),
                f"map the code to one of {', '.join(sorted(limits.known_roles))} in the source system",
                record.source,
            )
        levels = sorted(known & LICENCE_LEVELS)
        if len(levels) > 1:
            yield QualityFinding(
                "inconsistent_role_codes",
                Severity.WARN,
                who,
                f"holds {len(levels)} licence levels ({', '.join(levels)})",
                "keep only the level of the current licence",
                record.source,
            )
        if "CHARGE" in known and "RN" not in known:
            yield QualityFinding(
                "inconsistent_role_codes",
                Severity.WARN,
                who,
                "is CHARGE without RN",
                "add RN (a charge nurse is a registered nurse) or remove CHARGE",
                record.source,
            )


def _describe(entry: TimedAssignment) -> str:
    a = entry.assignment
    return f"{a.staff} {a.day.isoformat()} {a.shift}" + (f" on {a.unit}" if a.unit else "")


def assignments(snapshot: QualitySnapshot, _: datetime, __: QualityThresholds) -> Iterator[QualityFinding]:
    """Duplicate assignments (warn: cover would be counted twice), overlapping ones (block:
    one person cannot be in two places), and entries without start or end (warn)."""
    counted = Counter(entry.assignment for entry in snapshot.roster)
    for assignment, count in sorted(counted.items()):
        if count > 1:
            yield QualityFinding(
                "duplicate_assignment",
                Severity.WARN,
                f"assignment {assignment.staff} {assignment.day.isoformat()} {assignment.shift}",
                f"appears {count} times",
                "delete the extra copies in the source roster and re-import it",
            )
    timed: dict[str, list[tuple[datetime, datetime, TimedAssignment]]] = defaultdict(list)
    for entry in dict.fromkeys(snapshot.roster):  # one copy of each duplicate: reported above
        if entry.start is None or entry.end is None:
            missing = "start" if entry.start is None else "end"
            yield QualityFinding(
                "assignment_missing_timestamp",
                Severity.WARN,
                f"assignment {_describe(entry)}",
                f"has no {missing} time, so overlaps and cover cannot be checked",
                "send the shift's start and end with their UTC offset",
                entry.source,
            )
        else:
            timed[entry.assignment.staff].append((entry.start, entry.end, entry))
    for staff in sorted(timed):
        spans = sorted(timed[staff], key=lambda span: (span[0], span[1]))
        for index, (first_start, first_end, first) in enumerate(spans):
            for second_start, second_end, second in spans[index + 1 :]:
                if second_start >= first_end:
                    break  # sorted by start: no later entry can overlap ``first``
                if first.assignment == second.assignment and (first_start, first_end) == (second_start, second_end):
                    continue  # the same assignment from two sources: a duplicate, reported above
                yield QualityFinding(
                    "overlapping_assignments",
                    Severity.BLOCK,
                    f"staff {staff}",
                    f"{_describe(first)} overlaps {_describe(second)}",
                    "remove or move one of the two assignments in the source roster",
                    second.source or first.source,
                )


def census(snapshot: QualitySnapshot, now: datetime, limits: QualityThresholds) -> Iterator[QualityFinding]:
    """Census readings: negative (block), undated (warn), in the future (warn), and per
    unit the latest reading too old (warn beyond ``census_max_age``, block beyond
    ``census_block_age``) or absent for an expected unit (block: planning would be blind)."""
    latest: dict[str, datetime] = {}
    negative: dict[str, list[CensusReading]] = defaultdict(list)
    for reading in snapshot.census:
        where = f"census {reading.unit}" + (f" at {reading.at.isoformat()}" if reading.at else "")
        if reading.patients is not None and reading.patients < 0:
            negative[reading.unit].append(reading)
        if reading.at is None:
            yield QualityFinding(
                "census_missing_timestamp",
                Severity.WARN,
                where,
                "has no time, so it cannot be placed in an interval",
                "send the time of the count with its UTC offset",
                reading.source,
            )
            continue
        if reading.at > now + limits.clock_skew:
            yield QualityFinding(
                "census_in_future",
                Severity.WARN,
                where,
                f"is dated after now ({now.isoformat()})",
                "check the sending system's clock and timezone",
                reading.source,
            )
            continue
        if reading.reported and (reading.unit not in latest or reading.at > latest[reading.unit]):
            latest[reading.unit] = reading.at
    for unit, readings in sorted(negative.items()):
        worst = min(readings, key=lambda r: r.patients or 0)
        when = f" at {worst.at.isoformat()}" if worst.at else ""
        more = f" ({len(readings)} readings below zero)" if len(readings) > 1 else ""
        yield QualityFinding(
            "negative_census",
            Severity.BLOCK,
            f"census {unit}",
            f"counts {worst.patients} patients{when}{more}",
            "find the missing admission or the duplicated discharge in the feed, or send a census snapshot",
            worst.source,
        )
    for unit in sorted(set(snapshot.units) | set(latest)):
        at = latest.get(unit)
        if at is None:
            since = f"since {snapshot.census_since.isoformat()}" if snapshot.census_since else "at all"
            yield QualityFinding(
                "missing_census",
                Severity.BLOCK,
                f"unit {unit}",
                f"has no census reported {since}",
                "connect the unit's ADT feed or import a census file for it (or drop the unit from the units file)",
            )
            continue
        age = now - at
        if age > limits.census_max_age:
            severity = Severity.BLOCK if age > limits.census_block_age else Severity.WARN
            limit = limits.census_block_age if severity is Severity.BLOCK else limits.census_max_age
            yield QualityFinding(
                "stale_census",
                severity,
                f"unit {unit}",
                f"latest census is {_ago(now, at)} old (limit {_ago(now, now - limit)})",
                "check that the ADT feed for the unit is flowing, or import a fresh census",
            )


def something_to_check(snapshot: QualitySnapshot, _: datetime, __: QualityThresholds) -> Iterator[QualityFinding]:
    """An empty store is not good data (block): with no staff, roster or census there is
    nothing to plan on, and an empty report must not read as ``ok``."""
    if not (snapshot.staff or snapshot.roster or snapshot.census):
        yield QualityFinding(
            "no_data",
            Severity.BLOCK,
            "store",
            "holds no staff records, roster or census",
            "import staff, roster and census (careshift import csv) or start the feeds (careshift ingest mllp)",
        )


CHECKS: tuple[Check, ...] = (something_to_check, stale_staff_records, role_codes, assignments, census)
"""Every check the gate runs, in report order."""


def verdict_for(findings: tuple[QualityFinding, ...], limits: QualityThresholds) -> Verdict:
    """``block`` at ``block_at`` blocking findings or ``escalate_warnings`` warnings,
    ``warn`` at ``warn_at`` warnings, ``ok`` otherwise."""
    blocks = sum(finding.severity is Severity.BLOCK for finding in findings)
    warnings = sum(finding.severity is Severity.WARN for finding in findings)
    if blocks >= limits.block_at or (limits.escalate_warnings is not None and warnings >= limits.escalate_warnings):
        return Verdict.BLOCK
    if warnings >= limits.warn_at or blocks:
        return Verdict.WARN
    return Verdict.OK


def assess(snapshot: QualitySnapshot, now: datetime, limits: QualityThresholds | None = None) -> QualityReport:
    """Run every check over ``snapshot`` at time ``now`` and decide the verdict."""
    require_aware(now, "quality check time")
    limits = limits or QualityThresholds()
    findings = tuple(
        sorted(
            (finding for check in CHECKS for finding in check(snapshot, now, limits)),
            key=lambda f: (f.severity is not Severity.BLOCK, f.check, f.record),
        )
    )
    counts = Counter(finding.check for finding in findings)
    reports = sum(reading.reported for reading in snapshot.census)
    checked = {
        "staff": len(snapshot.staff),
        "assignments": len(snapshot.roster),
        "census reports": reports,
        "census intervals": len(snapshot.census) - reports,
    }
    return QualityReport(now, findings, verdict_for(findings, limits), dict(sorted(counts.items())), checked, limits)


CENSUS_KINDS = frozenset({"CensusChanged", "PatientArrived", "PatientDeparted"})


def load_snapshot(
    store: Store,
    reference: ReferenceData,
    now: datetime,
    limits: QualityThresholds | None = None,
    *,
    roster_days: int = 14,
) -> QualitySnapshot:
    """Read what the gate checks from the two ports (I/O only, no decisions).

    Staff records and expected units come from the reference data; the roster is the
    store's projection (after swaps) from yesterday to ``roster_days`` ahead, with the real
    start/end of CSV shifts joined by key; census readings are the final, effective
    census events since twice ``census_block_age`` (at least a day) plus the census
    projection of the last day (where a count below zero shows).
    """
    require_aware(now, "quality check time")
    limits = limits or QualityThresholds()
    first_day, last_day = (now - timedelta(days=1)).date(), (now + timedelta(days=roster_days)).date()
    times = {keyed.key: keyed.value for keyed in reference.shifts(first_day, last_day)}
    roster: list[TimedAssignment] = []
    for entry in store.roster(first_day, last_day):
        assignment = Assignment(entry.staff, entry.day, entry.shift, entry.skill, entry.unit)
        timed = times.get(entry.source_id) if entry.source_system == ROSTER_SOURCE else None
        if timed is not None and (timed.assignment.day, timed.assignment.shift) == (entry.day, entry.shift):
            roster.append(TimedAssignment(assignment, timed.start, timed.end, entry.source_system))
        else:
            roster.append(TimedAssignment(assignment, None, None, entry.source_system))
    since = now - max(2 * limits.census_block_age, timedelta(days=1))
    readings: list[CensusReading] = []
    for stored in store.read(since=since):
        event = stored.event
        if (
            stored.reversed_by is None
            and event.kind in CENSUS_KINDS
            and event.status is EventStatus.FINAL
            and event.unit is not None
        ):
            patients = event.patients if isinstance(event, CensusChanged) else None
            readings.append(CensusReading(event.unit, event.occurred_at, patients, event.source_system))
    window = floor_to_grid(now - timedelta(days=1))
    for interval in store.census(window, floor_to_grid(now) + GRID):
        readings.append(CensusReading(interval.unit, interval.start, interval.patients, "projection", reported=False))
    return QualitySnapshot(
        staff=tuple(reference.staff()),
        roster=tuple(roster),
        census=tuple(readings),
        units=tuple(unit.id for unit in reference.units()),
        census_since=since,
    )
