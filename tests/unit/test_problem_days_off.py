"""RosterProblem.days_off: read-only, and a problem pickles (it crosses to a solver worker)."""

from __future__ import annotations

import pickle
from dataclasses import replace

import pytest

from careshift.domain.problem import DaysOff
from tests.unit.test_engine_rules import CASES, day


def test_a_problem_with_the_default_days_off_pickles_and_comes_back_equal() -> None:
    p = replace(CASES["cover target and cap"], days_off=DaysOff())
    again = pickle.loads(pickle.dumps(p))
    assert again == p and dict(again.days_off) == {}


def test_days_off_from_a_plain_dict_are_read_only_and_pickle() -> None:
    given = {"A": {day(1)}}
    p = replace(CASES["cover target and cap"], days_off=given)  # type: ignore[arg-type]
    given["A"].add(day(2))  # the caller's dict changes later; the problem does not
    assert p.days_off == {"A": frozenset({day(1)})}
    with pytest.raises(TypeError):
        p.days_off["B"] = frozenset()  # type: ignore[index]
    assert pickle.loads(pickle.dumps(p)).days_off == {"A": frozenset({day(1)})}
