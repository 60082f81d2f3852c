"""INRC-II (Second International Nurse Rostering Competition) instances and solutions.

An instance is a scenario file, one initial history (``H0-<dataset>-<h>.txt``) and a list
of week-demand files (``WD-<dataset>-<w>.txt``), named ``<dataset>_<h>_<w1>-<w2>-…``. We
read it in the **static** setting: the weeks are concatenated into one horizon starting on
Monday 2024-01-01, and the history continues into day one.

Mapping (Ceschia et al. 2015, "INRC-II — Problem Description and Rules"; rule ids):

=========================  ====  ==================================================  ======
rule id                    kind  meaning                                             weight
=========================  ====  ==================================================  ======
``H1``                     hard  one shift per day                                   –
``H2``                     hard  cover of at least the minimum per shift and skill   –
``H3``                     hard  forbidden successions, incl. history's last shift   –
``H4``                     hard  nurses cover only their own skills                  –
``S1``                     soft  nurses missing below the optimal cover               30
``S2a:<shift>``            soft  same-shift runs outside the shift type's [min,max]   15
``S2b:<contract>``         soft  working-day runs outside the contract's [min,max]    30
``S3:<contract>``          soft  days-off runs outside the contract's [min,max]       30
``S4``                     soft  assignments a nurse asked not to work                10
``S5:<contract>``          soft  weekends worked on one day only (if required)        30
``S6:<contract>``          soft  total assignments outside the contract's [min,max]   20
``S7:<contract>``          soft  working weekends above the contract's maximum        30
=========================  ====  ==================================================  ======

Border rules are the rule families' own (``careshift.domain.rules.sequence``): history
counters continue into week one and only the extra violation is charged; a run open at
the end of the horizon is not charged for being too short; a run that history left open
and that stops at day one is charged then. S6 and S7 count the whole horizon plus the
history's totals. These reproduce the official validator's report on the organisers'
sample solution (``tests/golden/test_inrc2_validator.py``).

INRC-II shift types carry no length; we give them a nominal 480 minutes, which no INRC-II
rule uses.

Solution files, one per week (``Sol-<dataset>-<weekfile>-<weekindex>.txt``)::

    SOLUTION
    <weekindex> <scenario>

    ASSIGNMENTS = <m>
    <nurse> <Mon..Sun> <shift> <skill>

Lines after the ``m`` assignments (the organisers' samples sometimes append ``Viol:`` and
``Cost:`` lines) are ignored.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from careshift.adapters.benchmarks._text import Line, fail, read_lines, to_int
from careshift.domain.demand import Request, ShiftCover
from careshift.domain.errors import BenchmarkFormatError
from careshift.domain.problem import RosterProblem
from careshift.domain.rules import (
    AssignmentCount,
    CompleteWeekends,
    ConsecutiveDaysOff,
    ConsecutiveSameShift,
    ConsecutiveWorkingDays,
    CoverFloor,
    CoverTarget,
    ForbiddenSuccessions,
    MaxWorkingWeekends,
    OneShiftPerDay,
    Rule,
    RuleSpec,
    Scope,
    ShiftRequests,
    SkillRequired,
)
from careshift.domain.schedule import Assignment, Schedule
from careshift.domain.time import Horizon
from careshift.domain.workforce import Contract, ShiftType, Staff, StaffHistory

START = date(2024, 1, 1)  # a Monday
NOMINAL_SHIFT_MINUTES = 480
CITATION = "Ceschia et al. 2015, INRC-II Problem Description and Rules (arXiv 1501.04177)"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# Competition weights (problem description, Table 1).
WEIGHT_OPTIMAL_COVER = 30
WEIGHT_CONSECUTIVE_SAME_SHIFT = 15
WEIGHT_CONSECUTIVE_WORK = 30
WEIGHT_CONSECUTIVE_OFF = 30
WEIGHT_PREFERENCE = 10
WEIGHT_COMPLETE_WEEKEND = 30
WEIGHT_TOTAL_ASSIGNMENTS = 20
WEIGHT_WORKING_WEEKENDS = 30

# The validator's report names, by rule family.
HARD_CATEGORIES: dict[str, str] = {
    "cover_floor": "Minimal coverage constraints",
    "skill_required": "Required skill constraints",
    "forbidden_successions": "Illegal shift type succession constraints",
    "one_shift_per_day": "Single assignment per day",
}
SOFT_CATEGORIES: dict[str, str] = {
    "assignment_count": "Total assignment constraints",
    "consecutive_same_shift": "Consecutive constraints",
    "consecutive_working_days": "Consecutive constraints",
    "consecutive_days_off": "Non working days constraints",
    "shift_requests": "Preferences",
    "max_working_weekends": "Max working weekend",
    "complete_weekends": "Complete weekends",
    "cover_target": "Optimal coverage constraints",
}

_PAIR = re.compile(r"\(\s*(-?\d+)\s*,\s*(-?\d+)\s*\)")


@dataclass(frozen=True)
class ContractTerms:
    """One INRC-II contract line."""

    name: str
    total: tuple[int, int]
    consecutive_work: tuple[int, int]
    consecutive_off: tuple[int, int]
    max_working_weekends: int
    complete_weekends: bool


@dataclass(frozen=True)
class Scenario:
    """The scenario file: skills, shift types with their run limits, contracts, nurses."""

    name: str
    weeks: int
    skills: tuple[str, ...]
    shift_types: tuple[ShiftType, ...]
    shift_runs: dict[str, tuple[int, int]]
    contracts: tuple[ContractTerms, ...]
    nurses: tuple[Staff, ...]


@dataclass(frozen=True)
class InstanceRef:
    """One instance listed in a ``best_known.csv``: files and published bounds."""

    name: str
    dataset: str
    history: int
    weeks: tuple[int, ...]
    scenario_path: Path
    history_path: Path
    week_paths: tuple[Path, ...]
    static_lb: int | None
    static_ub: int | None
    best_dynamic: int | None


class _Cursor:
    """Walks the non-blank lines of one file, with errors that name file and line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines = [line for line in read_lines(path) if line.text]
        self.position = 0

    def peek(self) -> Line | None:
        return self.lines[self.position] if self.position < len(self.lines) else None

    def next(self, what: str) -> Line:
        line = self.peek()
        if line is None:
            last = self.lines[-1].number if self.lines else None
            raise fail(self.path, last, f"file ends early; expected {what}")
        self.position += 1
        return line

    def keyword(self, word: str) -> Line:
        line = self.next(word)
        if line.text.split()[0] != word:
            raise fail(self.path, line, f"expected {word}, got {line.text!r}")
        return line

    def count(self, key: str) -> int:
        """A ``KEY = n`` line."""
        line = self.next(f"{key} = <n>")
        name, sep, value = line.text.partition("=")
        if name.strip() != key or not sep:
            raise fail(self.path, line, f"expected '{key} = <n>', got {line.text!r}")
        return to_int(self.path, line, value, key)

    def value(self, key: str) -> str:
        line = self.next(f"{key} = <value>")
        name, sep, value = line.text.partition("=")
        if name.strip() != key or not sep or not value.strip():
            raise fail(self.path, line, f"expected '{key} = <value>', got {line.text!r}")
        return value.strip()

    def pairs(self, line: Line, expected: int, what: str) -> list[tuple[int, int]]:
        found = [(int(a), int(b)) for a, b in _PAIR.findall(line.text)]
        if len(found) != expected:
            raise fail(self.path, line, f"{what} needs {expected} '(a,b)' pairs, found {len(found)}: {line.text!r}")
        return found


def read_scenario(path: Path | str) -> Scenario:
    """Parse a scenario file ``Sc-<dataset>.txt``."""
    cursor = _Cursor(Path(path))
    name = cursor.value("SCENARIO")
    weeks = cursor.count("WEEKS")
    skills = tuple(cursor.next("a skill name").text.split()[0] for _ in range(cursor.count("SKILLS")))
    shift_runs: dict[str, tuple[int, int]] = {}
    shift_lines: dict[str, Line] = {}
    for _ in range(cursor.count("SHIFT_TYPES")):
        line = cursor.next("a shift type line")
        shift = line.text.split()[0]
        if shift in shift_runs:
            raise fail(cursor.path, line, f"shift type {shift!r} declared twice")
        shift_runs[shift] = cursor.pairs(line, 1, "a shift type line")[0]
        shift_lines[shift] = line
    cursor.keyword("FORBIDDEN_SHIFT_TYPES_SUCCESSIONS")
    forbidden: dict[str, frozenset[str]] = {}
    for _ in shift_runs:
        line = cursor.next("a forbidden-succession line")
        fields = line.text.split()
        if fields[0] not in shift_runs:
            raise fail(cursor.path, line, f"unknown shift type {fields[0]!r}; declare it under SHIFT_TYPES")
        count = to_int(cursor.path, line, fields[1] if len(fields) > 1 else "", "number of forbidden successors")
        successors = fields[2:]
        if len(successors) != count:
            raise fail(cursor.path, line, f"{count} successors announced, {len(successors)} listed")
        for successor in successors:
            if successor not in shift_runs:
                raise fail(cursor.path, line, f"unknown shift type {successor!r} in the successions")
        forbidden[fields[0]] = frozenset(successors)
    shift_types = tuple(
        ShiftType(shift, minutes=NOMINAL_SHIFT_MINUTES, forbidden_next=forbidden.get(shift, frozenset()))
        for shift in shift_runs
    )
    contracts: list[ContractTerms] = []
    for _ in range(cursor.count("CONTRACTS")):
        line = cursor.next("a contract line")
        total, work, off = cursor.pairs(line, 3, "a contract line")
        tail = _PAIR.split(line.text)[-1].split()
        if len(tail) != 2:
            raise fail(cursor.path, line, "a contract line ends with maxWorkingWeekends and completeWeekends (0/1)")
        contracts.append(
            ContractTerms(
                name=line.text.split()[0],
                total=total,
                consecutive_work=work,
                consecutive_off=off,
                max_working_weekends=to_int(cursor.path, line, tail[0], "maxWorkingWeekends"),
                complete_weekends=to_int(cursor.path, line, tail[1], "completeWeekends") == 1,
            )
        )
    contract_names = {contract.name for contract in contracts}
    nurses: list[Staff] = []
    for _ in range(cursor.count("NURSES")):
        line = cursor.next("a nurse line")
        fields = line.text.split()
        if len(fields) < 3:
            raise fail(cursor.path, line, f"a nurse line reads 'Name Contract k Skill1 … Skillk', got {line.text!r}")
        if fields[1] not in contract_names:
            raise fail(cursor.path, line, f"unknown contract {fields[1]!r}; declare it under CONTRACTS")
        count = to_int(cursor.path, line, fields[2], "number of skills")
        nurse_skills = fields[3:]
        if len(nurse_skills) != count or any(skill not in skills for skill in nurse_skills):
            raise fail(cursor.path, line, f"nurse {fields[0]}: expected {count} skills among {', '.join(skills)}")
        nurses.append(Staff(fields[0], name=fields[0], skills=frozenset(nurse_skills), contract_id=fields[1]))
    return Scenario(name, weeks, skills, shift_types, shift_runs, tuple(contracts), tuple(nurses))


def read_history(path: Path | str, scenario: Scenario) -> dict[str, StaffHistory]:
    """Parse an initial history ``H0-<dataset>-<h>.txt`` (one line per nurse)."""
    cursor = _Cursor(Path(path))
    cursor.keyword("HISTORY")
    cursor.next("'<week> <scenario>'")
    cursor.keyword("NURSE_HISTORY")
    nurses = {nurse.id for nurse in scenario.nurses}
    shifts = set(scenario.shift_runs)
    history: dict[str, StaffHistory] = {}
    while (line := cursor.peek()) is not None:
        cursor.next("a nurse history line")
        fields = line.text.split()
        if len(fields) != 7:
            raise fail(
                cursor.path,
                line,
                "a history line reads 'Nurse totalAssignments totalWorkingWeekends lastShift "
                f"consecSameShift consecWorkDays consecDaysOff', got {line.text!r}",
            )
        nurse, last = fields[0], fields[3]
        if nurse not in nurses:
            raise fail(cursor.path, line, f"unknown nurse {nurse!r}; the scenario {scenario.name} has no such nurse")
        if last != "None" and last not in shifts:
            raise fail(cursor.path, line, f"unknown last shift {last!r}; use a shift type or None")
        total, weekends, same, work, off = (
            to_int(cursor.path, line, field, "history counter") for field in (*fields[1:3], *fields[4:])
        )
        history[nurse] = StaffHistory(
            last_shift=None if last == "None" else last,
            consecutive_same_shift=same,
            consecutive_work_days=work,
            consecutive_days_off=off,
            total_assignments=total,
            total_working_weekends=weekends,
        )
    return history


def read_week(path: Path | str, scenario: Scenario, first_day: date) -> tuple[list[ShiftCover], list[Request]]:
    """Parse one week-demand file ``WD-<dataset>-<w>.txt`` placed at ``first_day`` (a Monday)."""
    cursor = _Cursor(Path(path))
    cursor.keyword("WEEK_DATA")
    cursor.next("the scenario name")
    cursor.keyword("REQUIREMENTS")
    cover: list[ShiftCover] = []
    while (line := cursor.peek()) is not None and not line.text.startswith("SHIFT_OFF_REQUESTS"):
        cursor.next("a requirement line")
        fields = line.text.split()
        if len(fields) < 2 or fields[0] not in scenario.shift_runs or fields[1] not in scenario.skills:
            raise fail(cursor.path, line, f"a requirement line reads 'Shift Skill (min,opt)×7', got {line.text!r}")
        for offset, (minimum, optimum) in enumerate(cursor.pairs(line, 7, "a requirement line")):
            if not 0 <= minimum <= optimum:
                raise fail(cursor.path, line, f"need 0 <= min <= opt, got ({minimum},{optimum})")
            cover.append(
                ShiftCover(
                    day=first_day + timedelta(days=offset),
                    shift=fields[0],
                    floor=minimum,
                    target=optimum,
                    skill=fields[1],
                )
            )
    requests: list[Request] = []
    nurses = {nurse.id for nurse in scenario.nurses}
    for _ in range(cursor.count("SHIFT_OFF_REQUESTS")):
        line = cursor.next("a shift-off request")
        fields = line.text.split()
        if len(fields) != 3 or fields[0] not in nurses or fields[2] not in WEEKDAYS:
            raise fail(cursor.path, line, f"a request reads 'Nurse Shift|Any Mon..Sun', got {line.text!r}")
        if fields[1] != "Any" and fields[1] not in scenario.shift_runs:
            raise fail(cursor.path, line, f"unknown shift {fields[1]!r}; use a shift type or Any")
        requests.append(
            Request(
                staff=fields[0],
                day=first_day + timedelta(days=WEEKDAYS.index(fields[2])),
                shift=None if fields[1] == "Any" else fields[1],
                on=False,
            )
        )
    return cover, requests


def _soft(rule_id: str, spec: RuleSpec, weight: int, reason: str, scope: Scope | None = None) -> Rule:
    return Rule(rule_id, spec, hard=False, weight=weight, scope=scope or Scope(), citation=CITATION, reason=reason)


def build_rules(scenario: Scenario) -> tuple[Rule, ...]:
    """The INRC-II hard rules H1–H4 and soft rules S1–S7 with the competition weights."""
    rules: list[Rule] = [
        Rule("H1", OneShiftPerDay(), citation=CITATION, reason="{staff} on {day}: {detail}"),
        Rule("H2", CoverFloor(), citation=CITATION, reason="{day}: {detail}"),
        Rule("H3", ForbiddenSuccessions(), citation=CITATION, reason="{staff} on {day}: {detail}"),
        Rule("H4", SkillRequired(), citation=CITATION, reason="{staff} on {day}: {detail}"),
        _soft("S1", CoverTarget(), WEIGHT_OPTIMAL_COVER, "{day}: {detail}"),
    ]
    for shift, (low, high) in scenario.shift_runs.items():
        rules.append(
            _soft(
                f"S2a:{shift}",
                ConsecutiveSameShift(shift=shift, minimum=low, maximum=high),
                WEIGHT_CONSECUTIVE_SAME_SHIFT,
                "{staff}: {detail}",
            )
        )
    for contract in scenario.contracts:
        scope = Scope(contracts=frozenset({contract.name}))
        per_contract: list[tuple[str, RuleSpec, int]] = [
            ("S2b", ConsecutiveWorkingDays(*contract.consecutive_work), WEIGHT_CONSECUTIVE_WORK),
            ("S3", ConsecutiveDaysOff(*contract.consecutive_off), WEIGHT_CONSECUTIVE_OFF),
            ("S6", AssignmentCount(*contract.total), WEIGHT_TOTAL_ASSIGNMENTS),
            ("S7", MaxWorkingWeekends(contract.max_working_weekends), WEIGHT_WORKING_WEEKENDS),
        ]
        if contract.complete_weekends:
            per_contract.append(("S5", CompleteWeekends(), WEIGHT_COMPLETE_WEEKEND))
        for code, spec, weight in per_contract:
            rules.append(_soft(f"{code}:{contract.name}", spec, weight, "{staff}: {detail}", scope))
    rules.append(_soft("S4", ShiftRequests(), WEIGHT_PREFERENCE, "{staff} on {day}: {detail}"))
    return tuple(rules)


def instance_name(dataset: str, history: int | str, weeks: Sequence[int]) -> str:
    """The conventional instance name, e.g. ``n005w4_0_1-2-3-3`` (``history``: its number, or
    the label at the end of a history file's name)."""
    return f"{dataset}_{history}_{'-'.join(str(week) for week in weeks)}"


def parse_weeks(text: str) -> tuple[int, ...]:
    """``"1-2-3-3"`` → ``(1, 2, 3, 3)``; a ``BenchmarkFormatError`` for anything else."""
    try:
        weeks = tuple(int(part) for part in text.split("-"))
    except ValueError:
        raise BenchmarkFormatError(f"weeks must read like 1-2-3-3 (week-file numbers), got {text!r}") from None
    if any(week < 0 for week in weeks):
        raise BenchmarkFormatError(f"week-file numbers are >= 0, got {text!r}")
    return weeks


def read_files(
    scenario_path: Path | str,
    history_path: Path | str,
    week_paths: Sequence[Path | str],
    name: str | None = None,
) -> RosterProblem:
    """Read one static INRC-II instance from explicit file paths into a ``RosterProblem``."""
    if not week_paths:
        raise BenchmarkFormatError("an instance needs at least one week file", source=str(scenario_path))
    scenario = read_scenario(scenario_path)
    history = read_history(history_path, scenario)
    cover: list[ShiftCover] = []
    requests: list[Request] = []
    for index, week_path in enumerate(week_paths):
        week_cover, week_requests = read_week(week_path, scenario, START + timedelta(days=7 * index))
        cover += week_cover
        requests += week_requests
    return RosterProblem(
        name=name or f"{scenario.name}:{Path(history_path).stem}:{'+'.join(Path(p).stem for p in week_paths)}",
        horizon=Horizon(START, 7 * len(week_paths)),
        shift_types=scenario.shift_types,
        staff=scenario.nurses,
        rules=build_rules(scenario),
        contracts=tuple(Contract(contract.name) for contract in scenario.contracts),
        cover=tuple(cover),
        requests=tuple(requests),
        history={nurse.id: history.get(nurse.id, StaffHistory()) for nurse in scenario.nurses},
        skills=scenario.skills,
    )


def dataset_of(folder: Path | str) -> str:
    """The dataset name of an instance folder (from its single ``Sc-*.txt`` file)."""
    folder = Path(folder)
    found = sorted(folder.glob("Sc-*.txt"))
    if len(found) != 1:
        raise BenchmarkFormatError(
            f"expected exactly one scenario file Sc-<dataset>.txt, found {len(found)}", source=str(folder)
        )
    return found[0].stem.removeprefix("Sc-")


def read_instance(folder: Path | str, history: int | str | Path, weeks: Sequence[int] | str) -> RosterProblem:
    """Read the static instance ``<dataset>_<history>_<weeks>`` from a dataset folder.

    ``history`` is the history number (``0``) or a path to a history file; ``weeks`` the
    week-file numbers (``(1, 2, 3, 3)`` or ``"1-2-3-3"``).
    """
    folder = Path(folder)
    dataset = dataset_of(folder)
    week_numbers = parse_weeks(weeks) if isinstance(weeks, str) else tuple(weeks)
    if isinstance(history, int) or (isinstance(history, str) and history.isdigit()):
        history_path = folder / f"H0-{dataset}-{int(history)}.txt"
        label: str | int = int(history)
    else:
        history_path = Path(history)
        label = history_path.stem.rsplit("-", 1)[-1]
    week_paths = [folder / f"WD-{dataset}-{week}.txt" for week in week_numbers]
    return read_files(
        folder / f"Sc-{dataset}.txt",
        history_path,
        week_paths,
        name=instance_name(dataset, label, week_numbers),
    )


def solution_paths(folder: Path | str, dataset: str, weeks: Sequence[int]) -> list[Path]:
    """The per-week solution files ``Sol-<dataset>-<weekfile>-<weekindex>.txt`` in ``folder``."""
    return [Path(folder) / f"Sol-{dataset}-{week}-{index}.txt" for index, week in enumerate(weeks)]


def read_solution(problem: RosterProblem, folder: Path | str, dataset: str, weeks: Sequence[int]) -> Schedule:
    """Read the per-week solution files of ``problem`` from ``folder`` into one schedule."""
    assignments: list[Assignment] = []
    for index, path in enumerate(solution_paths(folder, dataset, weeks)):
        assignments.extend(_read_week_solution(path, problem, index))
    return Schedule.of(assignments, source=f"inrc2:{Path(folder).name}")


def _read_week_solution(path: Path, problem: RosterProblem, index: int) -> Iterator[Assignment]:
    cursor = _Cursor(path)
    cursor.keyword("SOLUTION")
    header = cursor.next("'<week> <scenario>'")
    week = header.text.split()[0]
    if week != str(index):
        raise fail(path, header, f"this file holds week {week}, expected week {index} (its position in the instance)")
    count = cursor.count("ASSIGNMENTS")
    nurses = {member.id: member for member in problem.staff}
    shifts = {shift.id for shift in problem.shift_types}
    first_day = problem.horizon.start + timedelta(days=7 * index)
    for _ in range(count):
        line = cursor.next(f"{count} assignment lines")
        fields = line.text.split()
        if len(fields) != 4:
            raise fail(path, line, f"an assignment reads 'Nurse Day Shift Skill', got {line.text!r}")
        nurse, day, shift, skill = fields
        if nurse not in nurses:
            raise fail(path, line, f"unknown nurse {nurse!r}")
        if day not in WEEKDAYS:
            raise fail(path, line, f"unknown day {day!r}; use Mon, Tue, Wed, Thu, Fri, Sat or Sun")
        if shift not in shifts:
            raise fail(path, line, f"unknown shift type {shift!r}")
        if problem.skills and skill not in problem.skills:
            raise fail(path, line, f"unknown skill {skill!r}")
        yield Assignment(staff=nurse, day=first_day + timedelta(days=WEEKDAYS.index(day)), shift=shift, skill=skill)


def format_week_solution(problem: RosterProblem, schedule: Schedule, scenario: str, index: int) -> str:
    """Week ``index`` of ``schedule`` in the competition's solution format."""
    first_day = problem.horizon.start + timedelta(days=7 * index)
    week_days = {first_day + timedelta(days=offset): WEEKDAYS[offset] for offset in range(7)}
    order = {member.id: position for position, member in enumerate(problem.staff)}
    items = sorted(
        (a for a in schedule if a.day in week_days),
        key=lambda a: (order.get(a.staff, len(order)), a.staff, a.day, a.shift),
    )
    lines = ["SOLUTION", f"{index} {scenario}", "", f"ASSIGNMENTS = {len(items)}"]
    lines += [f"{a.staff} {week_days[a.day]} {a.shift} {a.skill or ''}".rstrip() for a in items]
    return "\n".join(lines) + "\n"


def write_solution(
    problem: RosterProblem,
    schedule: Schedule,
    folder: Path | str,
    dataset: str,
    weeks: Sequence[int],
    scenario: str | None = None,
) -> list[Path]:
    """Write one solution file per week into ``folder``; returns the paths written.

    ``scenario`` is the name inside the files (the scenario file's ``SCENARIO =``), which
    for some datasets differs from the folder name (``n021w4_2``); it defaults to ``dataset``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = solution_paths(folder, dataset, weeks)
    for index, path in enumerate(paths):
        path.write_text(format_week_solution(problem, schedule, scenario or dataset, index), encoding="utf-8")
    return paths


def _optional_int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.lstrip("-").isdigit() else None


def list_instances(folder: Path | str) -> list[InstanceRef]:
    """The instances listed in ``<folder>/best_known.csv`` with resolved paths and bounds."""
    folder = Path(folder)
    path = folder / "best_known.csv"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BenchmarkFormatError(f"cannot read the instance list ({exc})", source=str(path)) from exc
    refs: list[InstanceRef] = []
    required = {"instance", "dataset", "history_file", "week_files", "scenario_file", "history_path", "week_paths"}
    reader = csv.DictReader(text.splitlines())
    missing = required - set(reader.fieldnames or ())
    if missing:
        raise BenchmarkFormatError(f"missing columns {', '.join(sorted(missing))}", source=str(path), location="line 1")
    for row_number, row in enumerate(reader, start=2):
        try:
            refs.append(
                InstanceRef(
                    name=row["instance"],
                    dataset=row["dataset"],
                    history=int(row["history_file"]),
                    weeks=parse_weeks(row["week_files"]),
                    scenario_path=folder / row["scenario_file"],
                    history_path=folder / row["history_path"],
                    week_paths=tuple(folder / part for part in row["week_paths"].split()),
                    static_lb=_optional_int(row.get("static_lb_LOR2017")),
                    static_ub=_optional_int(row.get("static_ub_LOR2017")),
                    best_dynamic=_optional_int(row.get("best_dynamic_competition_ub")),
                )
            )
        except (ValueError, BenchmarkFormatError) as exc:
            raise BenchmarkFormatError(f"bad row: {exc}", source=str(path), location=f"line {row_number}") from None
    return refs


def read_ref(ref: InstanceRef) -> RosterProblem:
    """Load an instance listed by ``list_instances``."""
    return read_files(ref.scenario_path, ref.history_path, ref.week_paths, name=ref.name)
