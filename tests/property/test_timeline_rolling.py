"""Rolling-window worked minutes: the kink search finds the same worst window per day as
trying every 15-minute start, across the spring-forward and fall-back nights."""

from datetime import UTC, date, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from careshift.domain.checker import check
from careshift.domain.rules.workload import RollingWorkedMinutes
from careshift.domain.schedule import Assignment, Schedule
from careshift.domain.time import local_instant, zone
from careshift.domain.timeline import placed_shifts
from tests.unit.timerules_builders import LA, nurse, problem, rule

STARTS = [date(2026, 3, 6), date(2026, 10, 30), date(2026, 6, 1)]


def brute_force(tiny, schedule: Schedule, hours: int) -> dict[date, int]:  # type: ignore[no-untyped-def]
    spans = [(p.interval.start.astimezone(UTC), p.interval.end.astimezone(UTC)) for p in placed_shifts(tiny, schedule)]
    tz = zone(LA)
    worst = {}
    for day in tiny.horizon.days:
        cursor = local_instant(day, time(0), tz).astimezone(UTC)
        after = local_instant(day + timedelta(days=1), time(0), tz).astimezone(UTC)
        best = 0
        while cursor < after:
            end = cursor + timedelta(hours=hours)
            best = max(best, sum(max(0, int((min(end, b) - max(cursor, a)).total_seconds() // 60)) for a, b in spans))
            cursor += timedelta(minutes=15)
        worst[day] = best
    return worst


@settings(max_examples=30, deadline=None)
@given(
    first=st.sampled_from(STARTS),
    rows=st.sets(st.tuples(st.integers(0, 3), st.sampled_from("DNEL")), max_size=6),
    hours=st.sampled_from([8, 24, 36]),
    cap=st.integers(0, 24 * 60),
)
def test_kink_search_matches_every_start(first, rows, hours, cap) -> None:  # type: ignore[no-untyped-def]
    tiny = problem([nurse("a")], [rule(RollingWorkedMinutes(window_hours=hours, maximum=cap))], start=first, length=4)
    schedule = Schedule.of(Assignment("a", first + timedelta(days=d), shift) for d, shift in rows)
    expected = {day: minutes - cap for day, minutes in brute_force(tiny, schedule, hours).items() if minutes > cap}
    found = {v.day: v.amount for v in check(tiny, schedule).violations}
    assert found == expected
