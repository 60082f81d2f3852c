"""On-duty counts per unit and 15-minute interval: never negative, never above the
people whose shift covers the interval, whatever the break model's parameters."""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from careshift.domain.schedule import Assignment
from careshift.domain.timeline import BreakPlan, full_grid, on_duty, placed_shifts
from tests.unit.timerules_builders import nurse, problem

SPRING = date(2026, 3, 6)  # the horizon holds the spring-forward night

rows = st.lists(
    st.tuples(
        st.sampled_from("abcdefgh"),
        st.integers(min_value=0, max_value=3),
        st.sampled_from("DNEL"),
        st.sampled_from(["4W", "ICU", None]),
    ),
    max_size=24,
)
plans = st.builds(
    BreakPlan,
    minutes=st.integers(min_value=0, max_value=120),
    after_hours=st.floats(min_value=0, max_value=13),
    window_hours=st.floats(min_value=0, max_value=12),
)


@settings(max_examples=60, deadline=None)
@given(rows=rows, plan=plans)
def test_on_duty_never_negative_and_breaks_only_remove_people_present(rows, plan) -> None:  # type: ignore[no-untyped-def]
    tiny = problem([nurse(s) for s in "abcdefgh"], [], start=SPRING, length=4)
    assignments = {Assignment(s, SPRING + timedelta(days=d), shift, unit=unit) for s, d, shift, unit in rows}
    placed = placed_shifts(tiny, assignments)
    everyone = on_duty(placed, lambda item: True)
    relieved = on_duty(placed, lambda item: True, plan)
    assert all(count >= 0 for count in relieved.values())
    assert all(0 <= relieved[key] <= everyone[key] for key in everyone)
    assert set(relieved) <= set(everyone)
    assert sum(everyone.values()) == sum(len(full_grid(item.interval)) for item in placed if item.unit is not None)
    for item in placed:
        window = plan.window(item.interval)
        assert set(window) <= set(full_grid(item.interval))
        away = plan.on_break(item.interval, 3)
        assert all(0 < count <= 3 for count in away.values())
