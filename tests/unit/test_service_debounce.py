"""The per-unit debouncer on a fake clock: quiet period, maximum wait, windows and causes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from careshift.service.debounce import Debouncer, DueRepair

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)
MON, TUE, THU = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 5)


def later(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_unit_is_due_after_the_quiet_period_with_every_cause_once() -> None:
    debouncer = Debouncer(quiet=timedelta(seconds=30), max_wait=timedelta(minutes=3))
    debouncer.note("4W", T0, "hl7:A")
    debouncer.note("4W", later(10), "hl7:B")
    debouncer.note("4W", later(20), "hl7:A")
    assert debouncer.due(later(49)) == []
    assert debouncer.due(later(50)) == [DueRepair("4W", ("hl7:A", "hl7:B"))]
    assert debouncer.due(later(500)) == [] and debouncer.pending() == {}


def test_a_steady_stream_is_repaired_at_the_maximum_wait() -> None:
    debouncer = Debouncer(quiet=timedelta(seconds=30), max_wait=timedelta(minutes=3))
    for step in range(0, 180, 20):
        debouncer.note("4W", later(step), f"c{step}")
        assert debouncer.due(later(step)) == []
    (due,) = debouncer.due(later(180))
    assert due.unit == "4W" and len(due.causes) == 9


def test_windows_of_demand_triggers_merge_and_a_call_out_widens_to_the_whole_horizon() -> None:
    debouncer = Debouncer(quiet=timedelta(0))
    debouncer.note("4W", T0, "census up", window=(TUE, THU), demand=True)
    debouncer.note("4W", T0, "ED surge", window=(MON, TUE), demand=True)
    debouncer.note("5E", T0, "census up", window=(MON, TUE), demand=True)
    debouncer.note("5E", T0, "hl7:CO1")
    assert debouncer.due(T0) == [
        DueRepair("4W", ("census up", "ED surge"), MON, THU, demand=True),
        DueRepair("5E", ("census up", "hl7:CO1"), None, None, demand=True),
    ]
