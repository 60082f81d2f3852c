"""Benchmark solution writers and readers round-trip any roster on the instance's horizon."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from careshift.adapters.benchmarks import curtois, inrc2
from careshift.domain.schedule import Assignment, Schedule
from tests.conftest import shared_path


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_curtois_roster_round_trips(data: st.DataObject) -> None:
    problem = curtois.read_instance(shared_path("benchmarks", "curtois_qu_nrp", "Instance3.txt"))
    items = data.draw(
        st.lists(
            st.builds(
                Assignment,
                staff=st.sampled_from([m.id for m in problem.staff]),
                day=st.sampled_from(problem.horizon.days),
                shift=st.sampled_from([s.id for s in problem.shift_types]),
            ),
            max_size=60,
        )
    )
    schedule = Schedule.of(items)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster.txt"
        curtois.write_solution(problem, schedule, path)
        assert curtois.read_solution(problem, path).assignments == schedule.assignments


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_inrc2_week_files_round_trip(data: st.DataObject) -> None:
    root = shared_path("benchmarks", "inrc2", "n005w4")
    weeks = (1, 2, 3)
    problem = inrc2.read_instance(root, 1, weeks)
    items = data.draw(
        st.lists(
            st.builds(
                Assignment,
                staff=st.sampled_from([m.id for m in problem.staff]),
                day=st.sampled_from(problem.horizon.days),
                shift=st.sampled_from([s.id for s in problem.shift_types]),
                skill=st.sampled_from(problem.skills),
            ),
            max_size=60,
        )
    )
    schedule = Schedule.of(items)
    with tempfile.TemporaryDirectory() as folder:
        inrc2.write_solution(problem, schedule, folder, "n005w4", weeks)
        assert inrc2.read_solution(problem, folder, "n005w4", weeks).assignments == schedule.assignments
