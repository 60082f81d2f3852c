from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from careshift.domain.errors import ForecastInputError
from careshift.domain.events import EventReversed, PatientArrived, PatientDeparted
from careshift.forecast.adt import arrivals_per_interval, length_of_stay, remaining_stay, unit_stays
from careshift.forecast.census import LengthOfStay

TZ = ZoneInfo("Europe/London")
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=TZ)


def _arrive(source_id: str, who: str, minutes: int, unit: str = "ED") -> PatientArrived:
    at = T0 + timedelta(minutes=minutes)
    return PatientArrived(
        occurred_at=at, recorded_at=at, source_system="adt", source_id=source_id, entity_id=who, unit=unit
    )


def _depart(source_id: str, who: str, minutes: int, unit: str = "ED") -> PatientDeparted:
    at = T0 + timedelta(minutes=minutes)
    return PatientDeparted(
        occurred_at=at, recorded_at=at, source_system="adt", source_id=source_id, entity_id=who, unit=unit
    )


def test_stays_pair_arrivals_with_departures_and_drop_reversed_events() -> None:
    cancel = EventReversed(
        occurred_at=T0, recorded_at=T0, source_system="adt", source_id="9", entity_id="h3", reverses=("adt", "3")
    )
    events = [
        _depart("2", "h1", 90),
        _arrive("1", "h1", 0),
        _arrive("3", "h3", 10),  # registered in error, then cancelled (A11)
        _arrive("4", "h4", 20),
        _arrive("5", "h5", 5, unit="ICU"),
        cancel,
    ]
    stays = unit_stays(events, "ED")
    assert stays.stays_minutes == (90.0,)
    assert len(stays.arrivals) == 2 and len(stays.present_since) == 1
    counts = arrivals_per_interval(stays.arrivals, T0, 4)
    assert list(counts) == [1.0, 1.0, 0.0, 0.0]
    assert length_of_stay(stays).mean_minutes == pytest.approx(90.0)


def test_remaining_stay_conditions_on_time_already_spent() -> None:
    los = LengthOfStay((0.5, 0.25, 0.25))
    assert remaining_stay(los, 15).probabilities == pytest.approx((0.5, 0.5))
    assert remaining_stay(los, 600).probabilities == (1.0,)
    assert np.isclose(sum(remaining_stay(los, 0).probabilities), 1.0)


def test_a_unit_without_completed_stays_says_what_to_load() -> None:
    stays = unit_stays([_arrive("1", "h1", 0)], "ED")
    with pytest.raises(ForecastInputError, match="longer ADT history"):
        length_of_stay(stays)
