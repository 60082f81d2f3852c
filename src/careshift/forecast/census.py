"""Census per 15-minute interval from arrivals and a length-of-stay distribution.

Patients arrive (a forecast: mean or sample paths per interval) and stay for a length of
stay drawn from the unit's distribution (as derived from ADT admit → discharge pairs). With
Poisson arrivals the census is Poisson with mean ``sum_j arrivals[j] * S(t - j)`` (the
M/G/infinity queue); we simulate patients instead, so that day-level swings of the arrival
paths and the patients already on the unit carry through, and quantiles and joint risks over a
horizon come from the same census paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from careshift.domain.errors import ForecastInputError
from careshift.forecast.metrics import FloatArray

INTERVAL_MINUTES = 15


@dataclass(frozen=True)
class LengthOfStay:
    """Length of stay as a distribution over whole 15-minute intervals (at least one).

    ``probabilities[k]`` is the chance that a patient stays ``k + 1`` intervals.
    """

    probabilities: tuple[float, ...]

    def __post_init__(self) -> None:
        total = sum(self.probabilities)
        if not self.probabilities or any(p < 0 for p in self.probabilities) or abs(total - 1) > 1e-6:
            raise ForecastInputError("length-of-stay probabilities must be non-negative and sum to 1")

    @classmethod
    def from_minutes(cls, durations: Sequence[float]) -> LengthOfStay:
        """Empirical distribution of observed stays in minutes (admit to discharge)."""
        values = np.asarray(durations, dtype=float)
        if values.size == 0 or (values <= 0).any() or np.isnan(values).any():
            raise ForecastInputError(
                "lengths of stay must be positive minutes; drop encounters with a discharge before the admit"
            )
        steps = np.maximum(1, np.ceil(values / INTERVAL_MINUTES)).astype(np.int64)
        counts = np.bincount(steps - 1)
        return cls(tuple(float(c) for c in counts / counts.sum()))

    @classmethod
    def lognormal(cls, median_hours: float, sigma: float, max_hours: float = 24 * 30) -> LengthOfStay:
        """A log-normal stay (a common fit for hospital stays), discretised and truncated."""
        if median_hours <= 0 or sigma <= 0:
            raise ForecastInputError("log-normal length of stay needs a positive median and sigma")
        from scipy import stats

        edges = np.arange(0, max_hours * 60 + INTERVAL_MINUTES, INTERVAL_MINUTES) / 60.0
        cdf = stats.lognorm(s=sigma, scale=median_hours).cdf(edges)
        probabilities = np.diff(cdf)
        probabilities[-1] += 1 - cdf[-1]
        return cls(tuple(float(p) for p in probabilities / probabilities.sum()))

    @property
    def survival(self) -> FloatArray:
        """``S[k]``: chance a patient who arrived ``k`` intervals ago is still there (S[0] = 1)."""
        probs = np.asarray(self.probabilities)
        return np.asarray(1.0 - np.concatenate([[0.0], np.cumsum(probs)[:-1]]), dtype=float)

    @property
    def mean_minutes(self) -> float:
        probs = np.asarray(self.probabilities)
        return float(np.sum(probs * np.arange(1, len(probs) + 1)) * INTERVAL_MINUTES)


def hourly_to_intervals(hourly: FloatArray) -> FloatArray:
    """Spread hourly arrival counts (or rates) evenly over the four 15-minute intervals."""
    return np.repeat(np.asarray(hourly, dtype=float) / 4.0, 4, axis=-1)


def split_hourly_paths(paths: FloatArray, rng: np.random.Generator) -> FloatArray:
    """Spread whole hourly arrival counts ``[draws, hours]`` at random over the hour's four
    15-minute intervals (``[draws, 4 * hours]``), keeping every count whole."""
    counts = np.asarray(paths, dtype=np.int64)
    split = rng.multinomial(counts.ravel(), [0.25] * 4).reshape(counts.shape[0], -1)
    return np.asarray(split, dtype=float)


def census_mean(arrivals: FloatArray, los: LengthOfStay, present: FloatArray | None = None) -> FloatArray:
    """Expected census per interval: arrivals convolved with the survival curve, plus the
    expected number of ``present`` patients (their own remaining-stay curve) still there."""
    survival = los.survival
    n = len(arrivals)
    mean = np.convolve(arrivals, survival)[:n]
    if present is not None:
        mean = mean + _pad(present, n)
    return np.asarray(mean, dtype=float)


def _pad(values: FloatArray, n: int) -> FloatArray:
    out = np.zeros(n)
    k = min(n, len(values))
    out[:k] = values[:k]
    return out


def simulate_census(
    arrival_paths: FloatArray,
    los: LengthOfStay,
    rng: np.random.Generator,
    present: int = 0,
    present_los: LengthOfStay | None = None,
) -> FloatArray:
    """Census paths ``[draws, n]`` from arrival count paths ``[draws, n]`` per interval.

    Every arriving patient draws a stay from ``los``; ``present`` patients already on the
    unit draw their *remaining* stay from ``present_los`` (default: ``los``).
    """
    paths = np.asarray(arrival_paths)
    if paths.ndim != 2:
        raise ForecastInputError("arrival paths must be a [draws, intervals] matrix")
    if (paths < 0).any() or not np.allclose(paths, np.round(paths)):
        raise ForecastInputError("arrival paths must hold whole non-negative counts; sample them first")
    draws, n = paths.shape
    counts = paths.astype(np.int64).ravel()
    arrival_at = np.repeat(np.tile(np.arange(n), draws), counts)
    path_of = np.repeat(np.repeat(np.arange(draws), n), counts)
    probs = np.asarray(los.probabilities)
    stay = rng.choice(len(probs), size=len(arrival_at), p=probs) + 1
    delta = np.zeros((draws, n + 1))
    np.add.at(delta, (path_of, arrival_at), 1.0)
    np.add.at(delta, (path_of, np.minimum(arrival_at + stay, n)), -1.0)
    if present > 0:
        remaining_probs = np.asarray((present_los or los).probabilities)
        remaining = rng.choice(len(remaining_probs), size=(draws, present), p=remaining_probs) + 1
        delta[:, 0] += present
        np.add.at(delta, (np.repeat(np.arange(draws), present), np.minimum(remaining.ravel(), n)), -1.0)
    return np.asarray(np.cumsum(delta, axis=1)[:, :n], dtype=float)


def census_quantiles(paths: FloatArray, levels: Sequence[float]) -> FloatArray:
    """Quantiles ``[n, len(levels)]`` of census paths (integer, non-crossing)."""
    quant = np.quantile(paths, np.asarray(levels), axis=0, method="inverted_cdf").T
    return np.asarray(np.maximum.accumulate(quant, axis=1), dtype=float)
