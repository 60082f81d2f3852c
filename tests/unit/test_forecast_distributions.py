import math

import numpy as np
import pytest

from careshift.forecast.distributions import (
    LevelMap,
    count_intervals,
    count_quantiles,
    fit_size,
    randomized_pit,
    sample_paths,
)
from careshift.forecast.metrics import coverage


def test_integer_quantiles_are_the_discrete_poisson_quantiles() -> None:
    q = count_quantiles(np.array([6.0]), math.inf, [0.1, 0.5, 0.9])
    assert list(q[0]) == [3.0, 6.0, 9.0]


def test_known_poisson_intervals_cover_close_to_nominal() -> None:
    rng = np.random.default_rng(3)
    mu = rng.uniform(2, 12, size=20_000)
    y = rng.poisson(mu).astype(float)
    bounds = count_intervals(mu, math.inf, [50, 80, 95])
    assert coverage(y, *bounds[80]) == pytest.approx(0.80, abs=0.02)
    assert coverage(y, *bounds[50]) == pytest.approx(0.50, abs=0.03)
    assert coverage(y, *bounds[95]) == pytest.approx(0.95, abs=0.015)
    # the ends of the integer quantiles hold more than 80 %: that is why intervals are chosen on their own
    q = count_quantiles(mu, math.inf, [0.1, 0.9])
    assert coverage(y, q[:, 0], q[:, 1]) > 0.84


def test_interpolated_quantiles_round_up_to_the_discrete_ones() -> None:
    mu = np.array([0.5, 3.0, 9.0])
    smooth = count_quantiles(mu, 20.0, [0.1, 0.5, 0.9], integer=False)
    exact = count_quantiles(mu, 20.0, [0.1, 0.5, 0.9])
    assert np.array_equal(np.ceil(smooth - 1e-9), exact)


def test_size_is_infinite_without_overdispersion_and_finite_with_it() -> None:
    rng = np.random.default_rng(1)
    mu = np.full(50_000, 5.0)
    assert fit_size(np.full(50_000, 5.0), mu) == math.inf
    nb = rng.negative_binomial(4, 4 / 9, size=50_000).astype(float)  # mean 5, size 4
    assert fit_size(nb, mu) == pytest.approx(4.0, rel=0.15)


def test_pit_of_a_calibrated_forecast_is_uniform_and_the_level_map_is_near_identity() -> None:
    rng = np.random.default_rng(2)
    mu = rng.uniform(1, 10, 20_000)
    y = rng.poisson(mu).astype(float)
    pit = randomized_pit(y, mu, math.inf, rng)
    assert np.quantile(pit, [0.1, 0.5, 0.9]) == pytest.approx([0.1, 0.5, 0.9], abs=0.02)
    mapped = LevelMap.from_pit(pit)([0.1, 0.9])
    assert mapped == pytest.approx([0.1, 0.9], abs=0.02)


def test_paths_sharing_a_day_factor_have_the_wider_day_totals() -> None:
    rng = np.random.default_rng(5)
    mu = np.full(24, 6.0)
    blocks = np.zeros(24, dtype=np.int64)
    plain = sample_paths(mu, math.inf, blocks, 0.0, 4000, rng).sum(axis=1)
    frail = sample_paths(mu, math.inf, blocks, 0.1, 4000, rng).sum(axis=1)
    assert plain.var() == pytest.approx(144, rel=0.1)  # Poisson: variance = mean
    assert frail.var() == pytest.approx(144 + (0.1 * 144) ** 2, rel=0.15)
