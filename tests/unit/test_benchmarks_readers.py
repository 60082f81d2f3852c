"""Curtois–Qu and INRC-II readers: the mapping into the domain model and located errors."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from careshift.adapters.benchmarks import curtois, inrc2
from careshift.domain.checker import check
from careshift.domain.errors import BenchmarkFormatError
from careshift.domain.rules import ConsecutiveWorkingDays, ShiftTypeCount, WorkedMinutes
from careshift.domain.schedule import Assignment, Schedule
from tests.conftest import shared_path

INSTANCE1_HEAD = (
    "SECTION_HORIZON\r\n7\r\n\r\nSECTION_SHIFTS\r\nD,480,\r\nN,600,D\r\n\r\n"
    "SECTION_STAFF\r\nA,D=7|N=2,4000,0,5,1,1,1\r\nB,D=7|N=0,4000,0,5,1,1,1\r\n\r\n"
)


def instance1() -> Path:
    return shared_path("benchmarks", "curtois_qu_nrp", "Instance1.txt")


def test_curtois_reader_maps_instance1() -> None:
    problem = curtois.read_instance(instance1())
    assert (len(problem.staff), problem.horizon.length, len(problem.shift_types)) == (8, 14, 1)
    assert problem.horizon.start == date(2024, 1, 1) and problem.horizon.start.weekday() == 0
    assert problem.history is None
    assert problem.shift_types[0].id == "D" and problem.shift_types[0].minutes == 480
    assert problem.shift_types[0].start is None
    assert problem.staff[0].id == "A" and problem.staff[0].contract_id == "A"
    assert problem.days_off["A"] == frozenset({date(2024, 1, 1)})
    assert len(problem.requests) == 21 + 5
    assert sum(r.weight for r in problem.requests if not r.on) == 11
    assert len(problem.cover) == 14
    first = problem.cover[0]
    assert (first.floor, first.target, first.cap, first.weight_under, first.weight_over) == (0, 5, 5, 100, 1)
    rules = {rule.id: rule for rule in problem.rules}
    assert rules["max_shifts:A:D"].spec == ShiftTypeCount(shift="D", maximum=14)
    assert rules["worked_minutes:H"].spec == WorkedMinutes(minimum=3360, maximum=4320)
    assert rules["consecutive_working_days:C"].spec == ConsecutiveWorkingDays(minimum=2, maximum=5)
    assert Counter((rule.family, rule.hard) for rule in problem.rules) == {
        ("one_shift_per_day", True): 1,
        ("forbidden_successions", True): 1,
        ("shift_type_count", True): 8,
        ("worked_minutes", True): 8,
        ("consecutive_working_days", True): 8,
        ("consecutive_days_off", True): 8,
        ("max_working_weekends", True): 8,
        ("days_off", True): 1,
        ("shift_requests", False): 1,
        ("cover_target", False): 1,
    }


def test_curtois_empty_roster_costs_all_cover_and_on_requests() -> None:
    problem = curtois.read_instance(instance1())
    report = check(problem, Schedule(()))
    requirement = sum(line.target for line in problem.cover)
    on_weights = sum(r.weight for r in problem.requests if r.on)
    assert report.cost == 100 * requirement + on_weights
    # Nobody reaches MinTotalMinutes: one hard violation per staff member.
    assert Counter(v.family for v in report.hard_violations) == {"worked_minutes": 8}


def test_curtois_solution_round_trip(tmp_path: Path) -> None:
    problem = curtois.read_instance(instance1())
    schedule = Schedule.of(
        Assignment(member.id, day, "D")
        for offset, member in enumerate(problem.staff)
        for index, day in enumerate(problem.horizon.days)
        if (index + offset) % 3
    )
    path = tmp_path / "roster.txt"
    curtois.write_solution(problem, schedule, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[1].split(",")[0] == "A" and len(lines[1].split(",")) == 15
    again = curtois.read_solution(problem, path)
    assert again.assignments == schedule.assignments
    assert check(problem, again) == check(problem, schedule)


def test_curtois_solution_keeps_two_shifts_on_one_day(tmp_path: Path) -> None:
    problem = curtois.read_instance(instance1())
    doubled = Schedule.of([Assignment("A", date(2024, 1, 2), "D"), Assignment("A", date(2024, 1, 2), "D")])
    path = tmp_path / "roster.txt"
    curtois.write_solution(problem, doubled, path)
    assert curtois.read_solution(problem, path).assignments == doubled.assignments


@pytest.mark.parametrize(
    ("body", "line", "needle"),
    [
        (INSTANCE1_HEAD.replace("N,600,D", "N,six hundred,D"), 6, "shift length in minutes must be an integer"),
        (INSTANCE1_HEAD.replace("N,600,D", "N,600,X"), 6, "unknown shift 'X'"),
        (INSTANCE1_HEAD.replace("A,D=7|N=2,4000", "A,D=7|N=2"), 9, "8 comma-separated fields"),
        (INSTANCE1_HEAD + "SECTION_DAYS_OFF\r\nA,9\r\n", 13, "day 9 is outside the horizon"),
        (INSTANCE1_HEAD + "SECTION_DAYS_OFF\r\nZ,1\r\n", 13, "unknown employee 'Z'"),
        (INSTANCE1_HEAD + "SECTION_COVER\r\n0,D,2,100\r\n", 13, "5 comma-separated fields"),
        (INSTANCE1_HEAD + "SECTION_WHATEVER\r\n", 12, "unknown section"),
    ],
)
def test_curtois_malformed_instance_names_file_and_line(tmp_path: Path, body: str, line: int, needle: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(body.encode())
    with pytest.raises(BenchmarkFormatError) as caught:
        curtois.read_instance(path)
    assert caught.value.source == str(path)
    assert caught.value.location == f"line {line}"
    assert needle in str(caught.value)


def test_curtois_malformed_solution_names_file_and_line(tmp_path: Path) -> None:
    good = tmp_path / "instance.txt"
    good.write_bytes(INSTANCE1_HEAD.encode())
    problem = curtois.read_instance(good)
    for text, needle in (
        ("# roster\nA,D,D,,,D,D,D\nB,D,Q,,,,,\n", "unknown shift 'Q'"),
        ("# roster\nA,D,D,,,D,D,D\nB,D,D\n", "2 day fields for B, the horizon has 7"),
        ("# roster\nA,D,D,,,D,D,D\nA,,,,,,,\n", "listed twice"),
        ("# roster\nA,D,D,,,D,D,D\nZ,,,,,,,\n", "unknown staff 'Z'"),
    ):
        path = tmp_path / "roster.txt"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(BenchmarkFormatError) as caught:
            curtois.read_solution(problem, path)
        assert caught.value.location == "line 3"
        assert str(path) in str(caught.value) and needle in str(caught.value)


def test_curtois_missing_file_is_a_benchmark_format_error(tmp_path: Path) -> None:
    with pytest.raises(BenchmarkFormatError, match="file not found"):
        curtois.read_instance(tmp_path / "nope.txt")


def test_inrc2_reader_concatenates_weeks_with_history() -> None:
    root = shared_path("benchmarks", "inrc2", "n005w4")
    problem = inrc2.read_instance(root, 0, "1-2-3-3")
    assert problem.name == "n005w4_0_1-2-3-3"
    assert problem.horizon.length == 28 and problem.horizon.start.weekday() == 0
    assert [s.id for s in problem.shift_types] == ["Early", "Late", "Night"]
    assert problem.shift_type("Night").forbidden_next == frozenset({"Early", "Late"})
    assert problem.history is not None and problem.history["Patrick"].last_shift == "Night"
    assert problem.history["Andrea"].consecutive_same_shift == 3
    assert len(problem.cover) == 4 * 7 * 3 * 2
    # Week 1 requirements land on days 0..6, the repeated week 3 on days 14..20 and 21..27.
    early_nurse = [c for c in problem.cover if c.shift == "Early" and c.skill == "Nurse"]
    assert (early_nurse[2].floor, early_nurse[2].target) == (0, 1)
    announced = [
        int((root / f"WD-n005w4-{week}.txt").read_text(encoding="utf-8").split("SHIFT_OFF_REQUESTS =")[1].split()[0])
        for week in (1, 2, 3, 3)
    ]
    assert len(problem.requests) == sum(announced)
    assert sum(1 for r in problem.requests if r.day < date(2024, 1, 8)) == announced[0]
    assert {r.on for r in problem.requests} == {False}
    assert {rule.id for rule in problem.rules} >= {"H1", "H2", "H3", "H4", "S1", "S2a:Night", "S6:PartTime", "S4"}


def test_inrc2_list_instances_reads_best_known() -> None:
    refs = inrc2.list_instances(shared_path("benchmarks", "inrc2"))
    first = next(ref for ref in refs if ref.name == "n030w4_1_6-2-9-1")
    assert first.weeks == (6, 2, 9, 1) and first.history == 1
    assert (first.static_lb, first.static_ub) == (1615, 1685)
    assert all(path.exists() for path in (first.scenario_path, first.history_path, *first.week_paths))
    problem = inrc2.read_ref(first)
    assert problem.name == "n030w4_1_6-2-9-1" and len(problem.staff) == 30


def test_inrc2_malformed_week_file_names_file_and_line(tmp_path: Path) -> None:
    root = shared_path("benchmarks", "inrc2", "n005w4")
    for name in ("Sc-n005w4.txt", "H0-n005w4-0.txt"):
        (tmp_path / name).write_bytes((root / name).read_bytes())
    week = (root / "WD-n005w4-1.txt").read_text(encoding="utf-8")
    (tmp_path / "WD-n005w4-1.txt").write_text(week.replace("(1,1) (0,0)", "(1,1) (0,0", 1), encoding="utf-8")
    with pytest.raises(BenchmarkFormatError) as caught:
        inrc2.read_instance(tmp_path, 0, (1,))
    assert caught.value.source == str(tmp_path / "WD-n005w4-1.txt")
    assert caught.value.location == "line 5"
    assert "needs 7 '(a,b)' pairs" in str(caught.value)


def test_inrc2_solution_for_the_wrong_week_is_refused(tmp_path: Path) -> None:
    root = shared_path("benchmarks", "inrc2", "n005w4")
    problem = inrc2.read_instance(root, 0, (1, 2))
    source = root / "Solution_H_0-WD_1-2-3-3"
    (tmp_path / "Sol-n005w4-1-0.txt").write_bytes((source / "Sol-n005w4-1-0.txt").read_bytes())
    (tmp_path / "Sol-n005w4-2-1.txt").write_bytes((source / "Sol-n005w4-3-2.txt").read_bytes())
    with pytest.raises(BenchmarkFormatError) as caught:
        inrc2.read_solution(problem, tmp_path, "n005w4", (1, 2))
    assert caught.value.location == "line 2" and "holds week 2, expected week 1" in str(caught.value)


def test_inrc2_bad_weeks_argument() -> None:
    with pytest.raises(BenchmarkFormatError, match="1-2-3-3"):
        inrc2.parse_weeks("1,2")


def test_inrc2_history_may_be_a_file_path() -> None:
    root = shared_path("benchmarks", "inrc2", "n005w4")
    by_number = inrc2.read_instance(root, "2", "6-7")
    by_path = inrc2.read_instance(root, root / "H0-n005w4-2.txt", (6, 7))
    assert by_path.name == by_number.name == "n005w4_2_6-7"
    assert by_path.history == by_number.history
