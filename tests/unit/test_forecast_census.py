import math
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from careshift.domain.demand import IntervalCover
from careshift.domain.errors import ForecastInputError
from careshift.domain.schedule import Assignment
from careshift.domain.workforce import ShiftType
from careshift.forecast.census import (
    LengthOfStay,
    census_mean,
    census_quantiles,
    hourly_to_intervals,
    simulate_census,
)
from careshift.forecast.requirements import SkillRatio, interval_requirements, risk_probability, staff_for
from careshift.forecast.risk import interval_starts, roster_risk, staff_on_duty

TZ = ZoneInfo("America/Chicago")


def test_length_of_stay_from_minutes_and_its_survival_curve() -> None:
    los = LengthOfStay.from_minutes([15, 30, 30, 60])
    assert los.probabilities == pytest.approx((0.25, 0.5, 0.0, 0.25))
    assert list(los.survival) == pytest.approx([1.0, 0.75, 0.25, 0.25])
    assert los.mean_minutes == pytest.approx(33.75)
    with pytest.raises(ForecastInputError, match="discharge before the admit"):
        LengthOfStay.from_minutes([30, -5])


def test_census_mean_is_arrivals_convolved_with_survival() -> None:
    los = LengthOfStay((0.5, 0.5))  # half leave after one interval, half after two
    mean = census_mean(np.array([2.0, 0.0, 4.0, 0.0]), los)
    assert list(mean) == pytest.approx([2.0, 1.0, 4.0, 2.0])


def test_simulated_census_matches_the_mean_and_keeps_present_patients() -> None:
    rng = np.random.default_rng(4)
    los = LengthOfStay.lognormal(median_hours=3.0, sigma=0.6, max_hours=24)
    rate = hourly_to_intervals(np.full(24, 6.0))
    arrivals = rng.poisson(rate, size=(2000, len(rate))).astype(float)
    paths = simulate_census(arrivals, los, rng, present=10, present_los=LengthOfStay((1.0,)))
    # the 10 present patients stay through the first interval only
    assert paths[:, 0].mean() == pytest.approx(10 + rate[0], abs=0.2)
    assert paths[:, 1].mean() == pytest.approx(census_mean(rate, los)[1], abs=0.2)
    late = paths[:, -8:].mean()
    assert late == pytest.approx(census_mean(rate, los)[-8:].mean(), rel=0.03)
    # M/G/infinity: Poisson arrivals give a Poisson census (variance = mean)
    assert paths[:, -1].var() == pytest.approx(paths[:, -1].mean(), rel=0.12)
    q = census_quantiles(paths, [0.1, 0.5, 0.9])
    assert np.all(np.diff(q, axis=1) >= 0)


def test_requirements_respect_the_ratio_floor_and_the_risk_level() -> None:
    starts = interval_starts(datetime(2026, 3, 8, 0, 0, tzinfo=TZ), 16)  # crosses the spring-forward gap
    levels = [0.1, 0.5, 0.75, 0.9]
    census = np.array([[6.0, 9.0, 11.0, 13.0]] * 16)
    covers = interval_requirements(
        "4W", starts, census, levels, [SkillRatio("RN", 4, min_staff=2), SkillRatio("CNA", 10)], risk="p90"
    )
    assert len(covers) == 32 and all(isinstance(c, IntervalCover) for c in covers)
    rn = [c for c in covers if c.skill == "RN"]
    assert all(c.floor == 3 and c.target == 4 for c in rn)  # ceil(9/4)=3; ceil(13/4)=4
    assert all(c.floor * 4 >= 9 for c in rn)
    cna = [c for c in covers if c.skill == "CNA"]
    assert all(c.floor == 1 and c.target == 2 for c in cna)
    acute = interval_requirements("4W", starts, census, levels, [SkillRatio("RN", 4)], risk="median", acuity=1.5)
    assert all(c.floor == c.target == 4 for c in acute)  # ceil(9 * 1.5 / 4)
    assert risk_probability("p75") == 0.75 and risk_probability(0.8) == 0.8
    with pytest.raises(ForecastInputError, match="median, p75, p90"):
        risk_probability("p99")
    assert staff_for(8.0, SkillRatio("RN", 4)) == 2


def test_roster_risk_counts_breaches_and_uncovered_patient_hours() -> None:
    paths = np.array([[4.0, 4.0], [4.0, 9.0], [8.0, 4.0], [4.0, 4.0]])
    risk = roster_risk("4W", [1, 2], paths, patients_per_staff=4)
    # path 2 breaches interval 1 by 1 patient; path 3 breaches interval 0 by 4 patients
    assert risk.p_any_breach == 0.5
    assert risk.expected_breached_intervals == 0.5
    assert risk.expected_uncovered_patient_hours == pytest.approx((1 + 4) / 4 * 0.25)
    assert risk.p_breach_by_interval == (0.25, 0.25)
    with pytest.raises(ForecastInputError, match="align them"):
        roster_risk("4W", [1, 2, 3], paths, 4)


def test_staff_on_duty_counts_whole_intervals_of_each_shift() -> None:
    day = ShiftType("D", minutes=720, start=time(7), end=time(19))
    starts = interval_starts(datetime(2026, 1, 5, 6, 45, tzinfo=TZ), 3)  # 06:45, 07:00, 07:15
    roster = [Assignment("ann", date(2026, 1, 5), "D", unit="4W"), Assignment("bob", date(2026, 1, 5), "D", unit="5E")]
    assert staff_on_duty(roster, {"D": day}, "America/Chicago", starts, unit="4W") == [0, 1, 1]
    assert math.isclose(sum(staff_on_duty(roster, {"D": day}, "America/Chicago", starts)), 4)
