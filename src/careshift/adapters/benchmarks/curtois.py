"""Curtois & Qu shift-scheduling benchmark (``InstanceN.txt``) and roster files.

Instance format (schedulingbenchmarks.org, CRLF or LF): ``#`` comment lines, sections
``SECTION_HORIZON``, ``SECTION_SHIFTS``, ``SECTION_STAFF``, ``SECTION_DAYS_OFF``,
``SECTION_SHIFT_ON_REQUESTS``, ``SECTION_SHIFT_OFF_REQUESTS``, ``SECTION_COVER`` with
comma-separated fields; a blank line ends a section. Day 0 is a Monday; we place it on
Monday 2024-01-01 (any Monday would do: the model only needs weekdays).

The mapped ``RosterProblem`` mirrors the Curtois & Qu (2014) integer programme exactly.
Rule ids (``<staff>``/``<shift>`` are the file's ids):

============================================  ====  =========================================
rule id                                       kind  paper constraint
============================================  ====  =========================================
``one_shift_per_day``                         hard  1. at most one shift a day
``forbidden_successions``                     hard  2. shift ``u`` may not follow ``t``
``max_shifts:<staff>:<shift>``                hard  3. ``MaxShifts`` per shift type
``worked_minutes:<staff>``                    hard  4. ``MinTotalMinutes..MaxTotalMinutes``
``consecutive_working_days:<staff>``          hard  5–6. ``MinConsecutiveShifts..MaxConsecutiveShifts``
``consecutive_days_off:<staff>``              hard  7. ``MinConsecutiveDaysOff``
``max_working_weekends:<staff>``              hard  8. ``MaxWeekends``
``days_off``                                  hard  9. ``SECTION_DAYS_OFF``
``shift_requests``                            soft  request weight per unmet on/off request
``cover_target``                              soft  ``WeightUnder``/``WeightOver`` per person
============================================  ====  =========================================

Runs touching day 0 are not charged for being too short (``history=None``), nor runs
still open on the last day, as in the paper's model.

Roster (solution) format, written and read by this module: UTF-8 text, ``#`` comment
lines and blank lines ignored, then one line per staff member::

    <staff id>,<day 0>,<day 1>,...,<day h-1>

with exactly ``h`` day fields, each a shift id or empty for a day off (several shifts on
one day, which the hard rules forbid but a broken roster may hold, are joined with ``|``).
A staff member without a line works no shift. Example for a 7-day horizon::

    # Instance1
    A,D,D,,,D,D,D
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

from careshift.adapters.benchmarks._text import Line, fail, read_lines, to_int
from careshift.domain.demand import Request, ShiftCover
from careshift.domain.problem import RosterProblem
from careshift.domain.rules import (
    ConsecutiveDaysOff,
    ConsecutiveWorkingDays,
    CoverTarget,
    DaysOffRespected,
    ForbiddenSuccessions,
    MaxWorkingWeekends,
    OneShiftPerDay,
    Rule,
    Scope,
    ShiftRequests,
    ShiftTypeCount,
    WorkedMinutes,
)
from careshift.domain.schedule import Assignment, Schedule
from careshift.domain.time import Horizon
from careshift.domain.workforce import Contract, ShiftType, Staff

START = date(2024, 1, 1)  # a Monday
CITATION = "Curtois & Qu 2014, Computational results on new staff scheduling benchmark instances"

SECTIONS = (
    "SECTION_HORIZON",
    "SECTION_SHIFTS",
    "SECTION_STAFF",
    "SECTION_DAYS_OFF",
    "SECTION_SHIFT_ON_REQUESTS",
    "SECTION_SHIFT_OFF_REQUESTS",
    "SECTION_COVER",
)


def _sections(path: Path) -> dict[str, list[Line]]:
    """Data lines per section, comments and blank lines dropped."""
    found: dict[str, list[Line]] = {}
    current: str | None = None
    for line in read_lines(path):
        if not line.text or line.text.startswith("#"):
            if not line.text:
                current = None
            continue
        if line.text.startswith("SECTION_"):
            name = line.text.split(",")[0].strip()
            if name not in SECTIONS:
                raise fail(path, line, f"unknown section {name!r}; expected one of {', '.join(SECTIONS)}")
            if name in found:
                raise fail(path, line, f"section {name} appears twice")
            current = name
            found[name] = []
            continue
        if current is None:
            raise fail(path, line, f"data outside a section: {line.text!r}; start the block with a SECTION_ header")
        found[current].append(line)
    for name in ("SECTION_HORIZON", "SECTION_SHIFTS", "SECTION_STAFF"):
        if name not in found:
            raise fail(path, None, f"missing {name}; every instance needs the horizon, shifts and staff")
    return found


def _fields(path: Path, line: Line, count: int, what: str, *, at_least: bool = False) -> list[str]:
    fields = [field.strip() for field in line.text.split(",")]
    if len(fields) < count or (not at_least and len(fields) != count):
        raise fail(path, line, f"{what} needs {count} comma-separated fields, got {len(fields)}: {line.text!r}")
    return fields


class _Reader:
    """Parses one instance file; keeps the path for error messages."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sections = _sections(path)
        self.shift_ids: set[str] = set()
        self.staff_ids: set[str] = set()
        self.length = 0

    def day(self, line: Line, field: str) -> date:
        index = to_int(self.path, line, field, "day")
        if not 0 <= index < self.length:
            raise fail(self.path, line, f"day {index} is outside the horizon 0..{self.length - 1}")
        return START + timedelta(days=index)

    def known_shift(self, line: Line, shift: str) -> str:
        if shift not in self.shift_ids:
            raise fail(self.path, line, f"unknown shift {shift!r}; declare it in SECTION_SHIFTS")
        return shift

    def known_staff(self, line: Line, staff: str) -> str:
        if staff not in self.staff_ids:
            raise fail(self.path, line, f"unknown employee {staff!r}; declare them in SECTION_STAFF")
        return staff

    def horizon(self) -> Horizon:
        lines = self.sections["SECTION_HORIZON"]
        if len(lines) != 1:
            raise fail(self.path, lines[1] if lines else None, "SECTION_HORIZON holds exactly one number of days")
        self.length = to_int(self.path, lines[0], lines[0].text, "horizon length")
        if self.length <= 0:
            raise fail(self.path, lines[0], f"horizon length must be positive, got {self.length}")
        return Horizon(START, self.length)

    def shift_types(self) -> tuple[ShiftType, ...]:
        raw: list[tuple[Line, str, int, list[str]]] = []
        for line in self.sections["SECTION_SHIFTS"]:
            fields = _fields(self.path, line, 2, "a shift line", at_least=True)
            if len(fields) > 3:
                raise fail(self.path, line, f"a shift line has at most 3 fields, got {len(fields)}: {line.text!r}")
            shift_id, minutes, forbidden = (*fields, "")[:3]
            if not shift_id or shift_id in self.shift_ids:
                raise fail(self.path, line, f"shift id {shift_id!r} is empty or declared twice")
            self.shift_ids.add(shift_id)
            length = to_int(self.path, line, minutes, "shift length in minutes")
            if length < 0:
                raise fail(self.path, line, f"shift length must be >= 0, got {length}")
            raw.append((line, shift_id, length, [f for f in forbidden.split("|") if f.strip()]))
        return tuple(
            ShiftType(
                shift_id,
                minutes=length,
                forbidden_next=frozenset(self.known_shift(line, f.strip()) for f in forbidden),
            )
            for line, shift_id, length, forbidden in raw
        )

    def staff(self) -> tuple[list[Staff], list[Contract], list[Rule]]:
        members: list[Staff] = []
        contracts: list[Contract] = []
        rules: list[Rule] = []
        for line in self.sections["SECTION_STAFF"]:
            fields = _fields(self.path, line, 8, "a staff line")
            staff_id = fields[0]
            if not staff_id or staff_id in self.staff_ids:
                raise fail(self.path, line, f"employee id {staff_id!r} is empty or declared twice")
            self.staff_ids.add(staff_id)
            max_minutes, min_minutes, max_run, min_run, min_off, max_weekends = (
                to_int(self.path, line, field, name)
                for field, name in zip(
                    fields[2:],
                    (
                        "MaxTotalMinutes",
                        "MinTotalMinutes",
                        "MaxConsecutiveShifts",
                        "MinConsecutiveShifts",
                        "MinConsecutiveDaysOff",
                        "MaxWeekends",
                    ),
                    strict=True,
                )
            )
            members.append(Staff(staff_id, name=staff_id, contract_id=staff_id))
            contracts.append(Contract(staff_id, min_minutes=min_minutes, max_minutes=max_minutes))
            scope = Scope(staff=frozenset({staff_id}))
            for entry in (part for part in fields[1].split("|") if part.strip()):
                shift, sep, limit = entry.partition("=")
                if not sep:
                    raise fail(self.path, line, f"MaxShifts entry {entry!r} must read ShiftID=limit")
                shift = self.known_shift(line, shift.strip())
                rules.append(
                    Rule(
                        f"max_shifts:{staff_id}:{shift}",
                        ShiftTypeCount(shift=shift, maximum=to_int(self.path, line, limit, "MaxShifts limit")),
                        scope=scope,
                        citation=CITATION,
                        reason="{staff}: {detail}",
                    )
                )
            rules += [
                Rule(
                    f"worked_minutes:{staff_id}",
                    WorkedMinutes(minimum=min_minutes, maximum=max_minutes),
                    scope=scope,
                    citation=CITATION,
                    reason="{staff}: {detail}",
                ),
                Rule(
                    f"consecutive_working_days:{staff_id}",
                    ConsecutiveWorkingDays(minimum=min_run, maximum=max_run),
                    scope=scope,
                    citation=CITATION,
                    reason="{staff}: {detail}",
                ),
                Rule(
                    f"consecutive_days_off:{staff_id}",
                    ConsecutiveDaysOff(minimum=min_off),
                    scope=scope,
                    citation=CITATION,
                    reason="{staff}: {detail}",
                ),
                Rule(
                    f"max_working_weekends:{staff_id}",
                    MaxWorkingWeekends(maximum=max_weekends),
                    scope=scope,
                    citation=CITATION,
                    reason="{staff}: {detail}",
                ),
            ]
        return members, contracts, rules

    def days_off(self) -> dict[str, frozenset[date]]:
        off: dict[str, set[date]] = {}
        for line in self.sections.get("SECTION_DAYS_OFF", []):
            fields = _fields(self.path, line, 1, "a days-off line", at_least=True)
            staff = self.known_staff(line, fields[0])
            off.setdefault(staff, set()).update(self.day(line, field) for field in fields[1:] if field)
        return {staff: frozenset(days) for staff, days in off.items()}

    def requests(self) -> list[Request]:
        found: list[Request] = []
        for section, on in (("SECTION_SHIFT_ON_REQUESTS", True), ("SECTION_SHIFT_OFF_REQUESTS", False)):
            for line in self.sections.get(section, []):
                staff, day, shift, weight = _fields(self.path, line, 4, "a request line")
                found.append(
                    Request(
                        staff=self.known_staff(line, staff),
                        day=self.day(line, day),
                        shift=self.known_shift(line, shift),
                        on=on,
                        weight=to_int(self.path, line, weight, "request weight"),
                    )
                )
        return found

    def cover(self) -> list[ShiftCover]:
        lines: list[ShiftCover] = []
        for line in self.sections.get("SECTION_COVER", []):
            day, shift, requirement, under, over = _fields(self.path, line, 5, "a cover line")
            need = to_int(self.path, line, requirement, "requirement")
            if need < 0:
                raise fail(self.path, line, f"requirement must be >= 0, got {need}")
            lines.append(
                ShiftCover(
                    day=self.day(line, day),
                    shift=self.known_shift(line, shift),
                    floor=0,
                    target=need,
                    cap=need,
                    weight_under=to_int(self.path, line, under, "weight for under"),
                    weight_over=to_int(self.path, line, over, "weight for over"),
                )
            )
        return lines


def read_instance(path: Path | str) -> RosterProblem:
    """Read a Curtois & Qu ``.txt`` instance into a ``RosterProblem`` (see the module doc).

    Raises ``BenchmarkFormatError`` naming the file and line of the first bad record.
    """
    path = Path(path)
    reader = _Reader(path)
    horizon = reader.horizon()
    shift_types = reader.shift_types()
    members, contracts, staff_rules = reader.staff()
    rules = [
        Rule("one_shift_per_day", OneShiftPerDay(), citation=CITATION, reason="{staff} on {day}: {detail}"),
        Rule("forbidden_successions", ForbiddenSuccessions(), citation=CITATION, reason="{staff} on {day}: {detail}"),
        *staff_rules,
        Rule("days_off", DaysOffRespected(), citation=CITATION, reason="{staff} on {day}: {detail}"),
        Rule(
            "shift_requests",
            ShiftRequests(),
            hard=False,
            weight=1,
            citation=CITATION,
            reason="{staff} on {day}: {detail}",
        ),
        Rule("cover_target", CoverTarget(), hard=False, weight=1, citation=CITATION, reason="{day}: {detail}"),
    ]
    return RosterProblem(
        name=path.stem,
        horizon=horizon,
        shift_types=shift_types,
        staff=tuple(members),
        rules=tuple(rules),
        contracts=tuple(contracts),
        cover=tuple(reader.cover()),
        requests=tuple(reader.requests()),
        days_off=reader.days_off(),
        history=None,
    )


def format_solution(problem: RosterProblem, schedule: Schedule) -> str:
    """The roster as text in this module's solution format (one line per staff member)."""
    by_staff: dict[str, dict[date, list[str]]] = {}
    for item in schedule:
        if item.day in problem.horizon:
            by_staff.setdefault(item.staff, {}).setdefault(item.day, []).append(item.shift)
    lines = [f"# {problem.name}: staff, then one field per day (shift id; empty = day off)"]
    for member in problem.staff:
        days = by_staff.get(member.id, {})
        fields = ["|".join(sorted(days.get(day, []))) for day in problem.horizon.days]
        lines.append(",".join([member.id, *fields]))
    return "\r\n".join(lines) + "\r\n"


def write_solution(problem: RosterProblem, schedule: Schedule, path: Path | str) -> None:
    """Write ``schedule`` to ``path`` in this module's solution format."""
    Path(path).write_text(format_solution(problem, schedule), encoding="utf-8", newline="")


def read_solution(problem: RosterProblem, path: Path | str) -> Schedule:
    """Read a roster in this module's solution format for ``problem``.

    Raises ``BenchmarkFormatError`` (file and line) for an unknown staff or shift id, a
    staff member listed twice, or a line whose number of days differs from the horizon.
    """
    path = Path(path)
    staff_ids = {member.id for member in problem.staff}
    shift_ids = {shift.id for shift in problem.shift_types}
    days = problem.horizon.days
    seen: set[str] = set()
    assignments: list[Assignment] = []
    for line in read_lines(path):
        if not line.text or line.text.startswith("#"):
            continue
        fields = [field.strip() for field in line.text.split(",")]
        staff = fields[0]
        if staff not in staff_ids:
            raise fail(path, line, f"unknown staff {staff!r}; the instance {problem.name} has no such employee")
        if staff in seen:
            raise fail(path, line, f"staff {staff!r} is listed twice; give one line per staff member")
        seen.add(staff)
        if len(fields) - 1 != len(days):
            raise fail(
                path,
                line,
                f"{len(fields) - 1} day fields for {staff}, the horizon has {len(days)}; "
                "write one field per day (empty for a day off)",
            )
        assignments.extend(_day_assignments(path, line, staff, zip(days, fields[1:], strict=True), shift_ids))
    return Schedule.of(assignments, source=f"curtois:{path.name}")


def _day_assignments(
    path: Path, line: Line, staff: str, cells: Iterable[tuple[date, str]], shift_ids: set[str]
) -> Iterable[Assignment]:
    for day, cell in cells:
        for shift in (part.strip() for part in cell.split("|") if part.strip()):
            if shift not in shift_ids:
                raise fail(path, line, f"unknown shift {shift!r} on {day.isoformat()} for {staff}")
            yield Assignment(staff=staff, day=day, shift=shift)
