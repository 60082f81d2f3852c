"""The catalogue of constraint builders: one per rule family, hard-by-nature families first.

Each builder turns one ``Rule`` of its family into constraints (hard) or bounds plus
penalty terms (soft) on an ``EngineModel``. A family missing here is not modelled; the
model builder refuses problems that use it (see ``UnsupportedRuleError``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from careshift.domain.rules.base import Rule
from careshift.engine.constraints.assignment_count import total_assignments_within_limits
from careshift.engine.constraints.change_cost import few_changes_to_the_current_schedule
from careshift.engine.constraints.complete_weekends import whole_weekends_only
from careshift.engine.constraints.consecutive_days_off import days_off_in_a_row_within_limits
from careshift.engine.constraints.consecutive_same_shift import same_shift_in_a_row_within_limits
from careshift.engine.constraints.consecutive_working_days import working_days_in_a_row_within_limits
from careshift.engine.constraints.cover_floor import at_least_floor_on_every_shift
from careshift.engine.constraints.cover_target import cover_at_target_and_under_cap
from careshift.engine.constraints.credential_required import only_credentialed_staff_work
from careshift.engine.constraints.days_off import no_work_on_days_off
from careshift.engine.constraints.forbidden_successions import no_forbidden_succession
from careshift.engine.constraints.max_working_weekends import at_most_weekends_worked
from careshift.engine.constraints.one_shift_per_day import at_most_one_shift_per_day
from careshift.engine.constraints.shift_requests import honour_shift_requests
from careshift.engine.constraints.shift_type_count import shifts_of_one_type_within_limits
from careshift.engine.constraints.skill_required import only_skilled_staff_cover_a_skill
from careshift.engine.constraints.worked_minutes import worked_minutes_within_limits
from careshift.engine.model import EngineModel

Builder = Callable[[EngineModel, Rule], None]


@dataclass(frozen=True)
class ConstraintBuilder:
    """A rule family's builder with the name a scheduler reads."""

    family: str
    display_name: str
    build: Builder


CATALOGUE: dict[str, ConstraintBuilder] = {
    builder.family: builder
    for builder in (
        # hard by nature
        ConstraintBuilder("one_shift_per_day", "One shift per day", at_most_one_shift_per_day),
        ConstraintBuilder("skill_required", "Skill required", only_skilled_staff_cover_a_skill),
        ConstraintBuilder("credential_required", "Unexpired credential required", only_credentialed_staff_work),
        ConstraintBuilder("days_off", "Fixed days off and leave", no_work_on_days_off),
        ConstraintBuilder("forbidden_successions", "Forbidden shift succession", no_forbidden_succession),
        ConstraintBuilder("cover_floor", "Minimum cover", at_least_floor_on_every_shift),
        # hard or soft by policy
        ConstraintBuilder("consecutive_working_days", "Consecutive working days", working_days_in_a_row_within_limits),
        ConstraintBuilder("consecutive_same_shift", "Consecutive same shift", same_shift_in_a_row_within_limits),
        ConstraintBuilder("consecutive_days_off", "Consecutive days off", days_off_in_a_row_within_limits),
        ConstraintBuilder("shift_type_count", "Shifts of one type", shifts_of_one_type_within_limits),
        ConstraintBuilder("assignment_count", "Total assignments", total_assignments_within_limits),
        ConstraintBuilder("worked_minutes", "Worked minutes over the horizon", worked_minutes_within_limits),
        ConstraintBuilder("max_working_weekends", "Working weekends", at_most_weekends_worked),
        ConstraintBuilder("complete_weekends", "Complete weekends", whole_weekends_only),
        # soft by nature
        ConstraintBuilder("shift_requests", "Shift requests", honour_shift_requests),
        ConstraintBuilder("cover_target", "Optimal cover", cover_at_target_and_under_cap),
        ConstraintBuilder("change_cost", "Change against the current schedule", few_changes_to_the_current_schedule),
    )
}

ORDER: dict[str, int] = {family: index for index, family in enumerate(CATALOGUE)}

__all__ = ["CATALOGUE", "ORDER", "Builder", "ConstraintBuilder"]
