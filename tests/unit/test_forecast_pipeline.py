"""From an arrivals forecast to staff per 15 minutes and the risk of a roster, end to end."""

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from careshift.forecast.census import LengthOfStay, census_quantiles, simulate_census, split_hourly_paths
from careshift.forecast.models import CountGBM, GBMConfig
from careshift.forecast.requirements import SkillRatio, interval_requirements
from careshift.forecast.risk import interval_starts, roster_risk
from careshift.forecast.series import series_from_frame
from tests.unit.forecast_helpers import poisson_frame


def test_arrivals_to_requirements_to_roster_risk() -> None:
    frame, _ = poisson_frame(weeks=8)
    series = series_from_frame(frame)
    model = CountGBM(GBMConfig(horizon=24, num_rounds=30, train_stride=5, warmup_hours=168)).fit(series)
    future = series.extended(24)
    t0 = np.full(24, series.n - 1, dtype=np.int64)
    h = np.arange(1, 25, dtype=np.int64)
    rng = np.random.default_rng(0)
    hourly = model.paths(future, t0, h, draws=300, rng=rng)
    arrivals = split_hourly_paths(hourly, rng)
    assert np.array_equal(arrivals.reshape(300, 24, 4).sum(axis=2), hourly)
    census = simulate_census(arrivals, LengthOfStay.lognormal(median_hours=2.5, sigma=0.5, max_hours=24), rng, 12)
    levels = [0.05, 0.25, 0.5, 0.75, 0.9, 0.95]
    quantiles = census_quantiles(census, levels)
    starts = interval_starts(datetime(2024, 2, 26, 0, 0, tzinfo=ZoneInfo("America/Chicago")), census.shape[1])
    covers = interval_requirements("ED", starts, quantiles, levels, [SkillRatio("RN", 4, min_staff=2)], risk="p90")
    assert len(covers) == 96
    assert all(c.target >= c.floor >= 2 for c in covers)
    floor_risk = roster_risk("ED", [c.floor for c in covers], census, 4)
    target_risk = roster_risk("ED", [c.target for c in covers], census, 4)
    # staffing to p90 breaches less often and leaves fewer patient-hours uncovered than the floor
    assert target_risk.expected_uncovered_patient_hours < floor_risk.expected_uncovered_patient_hours
    assert max(target_risk.p_breach_by_interval) <= 0.1 + 0.05
