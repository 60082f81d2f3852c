"""What the neighbourhood search reports about its steps."""

from __future__ import annotations

from careshift.domain.checker import check
from careshift.engine import SolveOptions, solve
from careshift.engine.lns import KINDS
from tests.unit.test_engine_lines import WARD


def test_the_result_names_each_kinds_steps_and_improvements() -> None:
    # CP-SAT stops at its first roster (in its half of the time), so the LNS runs
    stop = {"stop_after_first_solution": True}
    result = solve(WARD, SolveOptions(time_limit=4, workers=2, lns_start=0.5, columns=False, parameters=stop))
    assert result.schedule is not None and result.objective == check(WARD, result.schedule).cost
    search = dict(result.search)
    counts = [entry.split(":") for entry in search["lns_by_kind"].split(",") if entry]
    assert counts and {kind for kind, _ in counts} <= set(KINDS)
    improved = sum(int(share.split("/")[0]) for _, share in counts)
    steps = sum(int(share.split("/")[1]) for _, share in counts)
    assert improved == int(search["lns_improved"]) and steps == int(search["lns_steps"])
