"""Properties of the forecast layer: quantiles never cross, intervals are ordered, and
requirements never fall below the ratio floor."""

import math
from datetime import UTC, datetime

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from careshift.forecast.census import census_quantiles
from careshift.forecast.distributions import LevelMap, count_intervals, count_quantiles
from careshift.forecast.metrics import all_levels
from careshift.forecast.requirements import SkillRatio, census_at, interval_requirements
from careshift.forecast.risk import interval_starts

means = st.lists(st.floats(min_value=0.0, max_value=500.0), min_size=1, max_size=20)
sizes = st.one_of(st.just(math.inf), st.floats(min_value=0.5, max_value=1e4))


@settings(max_examples=60, deadline=None)
@given(means, sizes, st.booleans())
def test_count_quantiles_never_cross(mu: list[float], size: float, integer: bool) -> None:
    q = count_quantiles(np.asarray(mu), size, all_levels(), integer=integer)
    assert np.all(np.diff(q, axis=1) >= 0)
    assert np.all(q >= 0)


@settings(max_examples=40, deadline=None)
@given(means, sizes, st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=5, max_size=50))
def test_recalibrated_quantiles_never_cross_and_intervals_nest(mu: list[float], size: float, pit: list[float]) -> None:
    mapping = LevelMap.from_pit(np.asarray(pit))
    q = count_quantiles(np.asarray(mu), size, mapping(all_levels()))
    assert np.all(np.diff(q, axis=1) >= 0)
    bounds = count_intervals(np.asarray(mu), size, [50, 80, 95], mapping)
    for lo, hi in bounds.values():
        assert np.all(lo <= hi)


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=30), st.integers(min_value=1, max_value=12), st.integers(0, 2**32 - 1))
def test_census_quantiles_never_cross(draws: int, intervals: int, seed: int) -> None:
    paths = np.random.default_rng(seed).poisson(8.0, size=(draws, intervals)).astype(float)
    q = census_quantiles(paths, [0.05, 0.25, 0.5, 0.75, 0.9, 0.95])
    assert np.all(np.diff(q, axis=1) >= 0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(min_value=0.0, max_value=60.0), min_size=4, max_size=4),
    st.floats(min_value=1.0, max_value=8.0),
    st.integers(min_value=0, max_value=3),
    st.sampled_from(["median", "p75", "p90", 0.6, 0.95]),
    st.floats(min_value=0.5, max_value=2.0),
)
def test_requirements_respect_the_ratio_floor_in_every_interval(
    census: list[float], ratio: float, min_staff: int, risk: str | float, acuity: float
) -> None:
    levels = [0.05, 0.5, 0.75, 0.9, 0.95]
    row = np.sort(np.asarray([census[0] / 2, census[0], census[1], census[2], census[3]]))
    quantiles = np.stack([row, row + 1, row * 2])
    starts = interval_starts(datetime(2026, 1, 1, tzinfo=UTC), 3)
    covers = interval_requirements("4W", starts, quantiles, levels, [SkillRatio("RN", ratio, min_staff)], risk, acuity)
    median = census_at(quantiles, levels, 0.5)
    for cover, expected in zip(covers, median, strict=True):
        assert cover.floor >= min_staff
        assert cover.floor * ratio >= expected * acuity - 1e-6  # the ratio holds at the median census
        assert cover.target >= cover.floor
