"""Count predictive distributions: negative binomial around a mean, quantiles, PIT, paths.

Hourly arrivals are close to Poisson around a weekly profile, with a little extra variance
(the level drifts with season and epidemics). A negative binomial with mean ``mu`` and size
``r`` (variance ``mu + mu**2 / r``; ``r = inf`` is Poisson) captures that with one number.

Quantiles of a count are integers: the valid ``tau``-quantile is the smallest ``k`` with
``P(Y <= k) >= tau``, and it is also the value that minimises the expected pinball loss. The
closed interval between two such quantiles holds *more* than its nominal share (an 80 %
interval of Poisson(6) holds about 87 %), because both end counts are inside it. So a
prediction interval is chosen on its own: the integer interval, next to the central quantiles,
whose probability is closest to the nominal coverage. ``count_quantiles(..., integer=False)``
gives interpolated quantiles (the mass at ``k`` spread over ``(k-1, k]``) for plots.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from careshift.forecast.metrics import FloatArray

POISSON_SIZE = 1e6  # above this size the negative binomial is Poisson for all practical purposes


def _nbinom(mu: FloatArray, size: float) -> stats.rv_discrete:
    r = min(size, POISSON_SIZE)
    mu = np.maximum(mu, 1e-9)
    return stats.nbinom(r, r / (r + mu))


def count_quantiles(mu: FloatArray, size: float, levels: Sequence[float], *, integer: bool = True) -> FloatArray:
    """Quantiles ``[n, len(levels)]`` of NB(mu, size), non-decreasing in the level.

    ``integer=True``: the valid discrete quantiles; ``False``: interpolated (continuous) ones.
    """
    dist = _nbinom(mu[:, None], size)
    tau = np.asarray(levels, dtype=float)[None, :]
    k = dist.ppf(tau)
    if integer:
        return np.asarray(np.maximum.accumulate(k, axis=1), dtype=float)
    below = np.where(k > 0, dist.cdf(k - 1), 0.0)
    mass = np.maximum(dist.pmf(k), 1e-300)
    q = k - 1 + np.clip((tau - below) / mass, 0.0, 1.0)
    q = np.maximum(q, 0.0)
    return np.asarray(np.maximum.accumulate(q, axis=1), dtype=float)


def randomized_pit(y: FloatArray, mu: FloatArray, size: float, rng: np.random.Generator) -> FloatArray:
    """Randomized probability integral transform: uniform when the forecast is calibrated."""
    dist = _nbinom(mu, size)
    below = np.where(y > 0, dist.cdf(y - 1), 0.0)
    return np.asarray(below + rng.uniform(size=len(y)) * dist.pmf(y), dtype=float)


def fit_size(y: FloatArray, mu: FloatArray) -> float:
    """Negative-binomial size by the method of moments on residuals (inf when not over-dispersed)."""
    excess = float(np.sum((y - mu) ** 2 - mu))
    denom = float(np.sum(mu**2))
    if excess <= 0 or denom <= 0:
        return math.inf
    return denom / excess


@dataclass(frozen=True)
class LevelMap:
    """Conformal recalibration of quantile levels.

    On a calibration window the randomized PIT values of a calibrated forecast are uniform;
    if they are not, asking for level ``tau`` really delivers level ``G(tau)``. We store the
    empirical PIT quantiles and ask the distribution for ``G^{-1}(tau)`` instead.
    """

    pit_sorted: tuple[float, ...] = ()

    @classmethod
    def from_pit(cls, pit: FloatArray) -> LevelMap:
        return cls(tuple(float(value) for value in np.sort(pit)))

    def __call__(self, levels: Sequence[float]) -> list[float]:
        if not self.pit_sorted:
            return list(levels)
        pit = np.asarray(self.pit_sorted)
        mapped = np.quantile(pit, np.asarray(levels, dtype=float))
        return [float(min(max(value, 1e-4), 1 - 1e-4)) for value in mapped]

    def cdf(self, u: FloatArray) -> FloatArray:
        """The calibrated probability of a raw probability ``u`` (the PIT's empirical CDF)."""
        if not self.pit_sorted:
            return u
        pit = np.asarray(self.pit_sorted)
        return np.asarray(np.interp(u, pit, np.linspace(0.0, 1.0, len(pit))), dtype=float)


def count_intervals(
    mu: FloatArray, size: float, coverages: Sequence[int], level_map: LevelMap | None = None
) -> dict[int, tuple[FloatArray, FloatArray]]:
    """Integer prediction intervals ``{coverage: (lower, upper)}`` of NB(mu, size).

    Candidates are the central discrete quantiles and their inner neighbours; the one whose
    (calibrated) probability ``P(lower <= Y <= upper)`` is closest to the nominal coverage wins,
    the wider on a tie. See the module docstring for why quantile ends alone over-cover.
    """
    mapping = level_map or LevelMap()
    dist = _nbinom(mu, size)
    out: dict[int, tuple[FloatArray, FloatArray]] = {}
    for coverage in coverages:
        lo_level, hi_level = mapping([(100 - coverage) / 200, 1 - (100 - coverage) / 200])
        lo0, hi0 = dist.ppf(lo_level), dist.ppf(hi_level)
        best_lo, best_hi = lo0.copy(), hi0.copy()
        best_gap = np.full(len(mu), np.inf)
        for lo_shift, hi_shift in ((0, 0), (0, -1), (1, 0), (1, -1)):
            lo, hi = lo0 + lo_shift, hi0 + hi_shift
            content = mapping.cdf(dist.cdf(hi)) - mapping.cdf(np.where(lo > 0, dist.cdf(lo - 1), 0.0))
            gap = np.where(lo <= hi, np.abs(content - coverage / 100), np.inf)
            better = gap < best_gap - 1e-12
            best_lo, best_hi = np.where(better, lo, best_lo), np.where(better, hi, best_hi)
            best_gap = np.minimum(best_gap, gap)
        out[coverage] = (np.asarray(best_lo, dtype=float), np.asarray(best_hi, dtype=float))
    return out


def sample_paths(
    mu: FloatArray,
    size: float,
    blocks: npt.NDArray[np.int64] | None,
    frailty_sd: float,
    draws: int,
    rng: np.random.Generator,
) -> FloatArray:
    """Sample count paths ``[draws, n]`` around means ``mu``.

    Hours in the same ``block`` (an origin's day, say) share a gamma-distributed level factor
    with standard deviation ``frailty_sd``, so block totals get the extra variance that
    real days show; within a block the hours are NB given the level. Sums of a path over any
    window are coherent aggregates: their quantiles are the shift or day quantiles.
    """
    n = len(mu)
    factor = np.ones((draws, n))
    if frailty_sd > 0:
        ids = np.zeros(n, dtype=np.int64) if blocks is None else blocks
        uniques, inverse = np.unique(ids, return_inverse=True)
        shape = 1.0 / frailty_sd**2
        level = rng.gamma(shape, 1.0 / shape, size=(draws, len(uniques)))
        factor = level[:, inverse]
    lam = mu[None, :] * factor
    if size >= POISSON_SIZE or not math.isfinite(size):
        return np.asarray(rng.poisson(lam), dtype=float)
    gamma = rng.gamma(size, 1.0 / size, size=lam.shape)
    return np.asarray(rng.poisson(lam * gamma), dtype=float)
