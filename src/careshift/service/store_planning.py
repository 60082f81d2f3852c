"""Planning inputs from the store: the hospital the feeds described, not configured samples.

``StorePlanning`` implements the ``PlanningData`` port over what the adapters stored:

- **units and staff** from the imported units and staff files (staff homed on the unit,
  with roles, skills, credentials and contracts);
- **rules** from one policy pack. The engine models shift-level families; the pack's
  interval ratio and credential rules are *translated* into what it models (the ratio
  becomes each shift's cover floor, a lapsed credential becomes days off), and any other
  family the engine cannot model is refused when the source is built, because dropping a
  hard rule silently would yield rosters that break policy. A few planning rules the
  pack does not carry (no day shift straight after a night, runs of days, contract
  hours) are added; the policy version is the hash of the rules actually planned under;
- **cover** per shift from census through the forecast's requirements path
  (:mod:`careshift.service.unit_cover`): a stored census forecast when one is given, else a
  naive forecast from the stored census, else (no census stored for the unit) the unit's
  coverage template, every bed occupied. The recommendation context (``cover_source``,
  ``cover_forecast``) says which;
- **the live roster and who is unavailable** from the event log's projections, after
  swaps and call-outs (:class:`careshift.service.projected.ProjectedPlanning`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from types import MappingProxyType
from typing import Protocol

from careshift.domain.demand import ShiftCover
from careshift.domain.errors import DomainError, PolicyError
from careshift.domain.problem import RosterProblem
from careshift.domain.rules import (
    ConsecutiveWorkingDays,
    CredentialRequired,
    ForbiddenSuccessions,
    NurseToPatientRatio,
    Rule,
    Scope,
    WorkedMinutes,
)
from careshift.domain.schedule import Assignment, Schedule
from careshift.domain.time import Horizon, zone
from careshift.domain.workforce import Contract, ShiftType, Staff, Unit
from careshift.service.census_forecasts import StoredCensus
from careshift.service.ports import Store
from careshift.service.projected import ProjectedPlanning
from careshift.service.projections import census_change
from careshift.service.registry import StaffRecord
from careshift.service.repositories import Clock, PlanningInput
from careshift.service.unit_cover import CoverNeed, QuantileSource, full_unit_quantiles, naive_quantiles, shift_cover

PLANNING_SHIFTS = (
    ShiftType("D", 720, time(7), time(19), break_minutes=30),
    ShiftType(
        "N", 720, time(19), time(7), forbidden_next=frozenset({"D"}), tags=frozenset({"night"}), break_minutes=30
    ),
)
"""Two 12-hour shifts; a day shift straight after a night would leave no rest at all."""

LICENSED, CNA, CHARGE, TRIAGE = "licensed", "cna", "charge", "triage"
TRANSLATED = frozenset({CredentialRequired.family, NurseToPatientRatio.family})
FORECAST_VERSION = "naive-last-day-poisson/1"
FEATURE_SET = "store-census-v1"


def _engine_families() -> frozenset[str]:
    from careshift.engine.constraints import CATALOGUE

    return frozenset(CATALOGUE)


@dataclass(frozen=True)
class PlanningPolicy:
    """How the store's hospital is planned: the pack, the shift pattern, the horizon, the
    risk level of the cover target and the planning rules the pack does not carry.

    ``weekly_minutes`` maps contract ids to their weekly hours; a contract missing here
    has no hours limit. Hours above ``weekly × weeks + overtime_minutes`` cost one point
    per minute (a 12 h overtime shift outweighs a missed cover target).
    """

    pack: str = "us-ca-title22"
    shift_types: tuple[ShiftType, ...] = PLANNING_SHIFTS
    days: int = 14
    risk: str = "p90"
    cna_patients_per_staff: float = 8
    max_days_in_a_row: int = 4
    weekly_minutes: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType({"FT": 36 * 60, "P90": 32 * 60 + 24, "P60": 21 * 60 + 36})
    )
    overtime_minutes: int = 720


class CensusForecasts(Protocol):
    """Stored census forecasts (:class:`~careshift.service.census_forecasts.StoredCensusForecasts`):
    for a unit and the span ``[start, end)`` its planning horizon's shifts need, census
    quantiles at :data:`~careshift.service.unit_cover.LEVELS` from a stored run, or why no
    stored run can be used (none stored, or the run does not cover the span)."""

    def census_quantiles(self, unit: str, start: datetime, end: datetime) -> StoredCensus | str: ...


class WorkforceReference(Protocol):
    """The imported units and staff records (``SqlReferenceData`` in the store)."""

    def units(self) -> list[Unit]: ...

    def staff(self) -> list[StaffRecord]: ...


@dataclass(frozen=True)
class _Pack:
    """The pack's rules split by how planning uses them."""

    id: str
    version: str
    planned: tuple[Rule, ...]
    credentials: tuple[Rule, ...]
    ratio: Rule | None


def _load(policy: PlanningPolicy) -> _Pack:
    from careshift.policy import load_pack

    pack = load_pack(policy.pack)
    supported = _engine_families()
    refused = [rule for rule in pack.rules if rule.family not in supported | TRANSLATED]
    if refused:
        names = ", ".join(f"{rule.id} ({rule.family})" for rule in refused)
        raise PolicyError(
            f"policy pack {pack.id} holds rule(s) {names} that the planner can neither model nor translate; "
            "plan under a pack without them (--pack) or check rosters with `careshift check` only"
        )
    ratios = [rule for rule in pack.rules if rule.family == NurseToPatientRatio.family]
    return _Pack(
        pack.id,
        pack.version,
        # Translated families stay out even where the engine could take them, so each rule is
        # planned one way only (a lapsed licence is days off, not also a credential constraint).
        tuple(rule for rule in pack.rules if rule.family in supported and rule.family not in TRANSLATED),
        tuple(rule for rule in pack.rules if rule.family == CredentialRequired.family),
        ratios[0] if ratios else None,
    )


def planning_rules(policy: PlanningPolicy, pack_rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
    """The pack's modelled rules plus the planning rules it does not carry."""
    weeks = policy.days / 7
    rules = [
        *pack_rules,
        Rule(
            "plan-no-day-after-night",
            ForbiddenSuccessions(),
            hard=True,
            citation="no rest between a night ending at 07:00 and a day shift starting then",
            reason="{detail}",
        ),
        Rule(
            f"plan-max-{policy.max_days_in_a_row}-days-in-a-row",
            ConsecutiveWorkingDays(maximum=policy.max_days_in_a_row),
            hard=False,
            weight=30,
            citation="fatigue: runs of 12 h shifts longer than four days",
            reason="{detail}",
        ),
    ]
    for contract, weekly in sorted(policy.weekly_minutes.items()):
        rules.append(
            Rule(
                f"plan-hours-{contract}",
                WorkedMinutes(maximum=round(weekly * weeks) + policy.overtime_minutes),
                hard=False,
                weight=1,
                scope=Scope(contracts=frozenset({contract})),
                citation=f"contract {contract}: {weekly / 60:g} h a week, one overtime shift per horizon",
                reason="{detail}",
            )
        )
    return tuple(rules)


@dataclass
class StorePlanning:
    """``PlanningData`` over the store (see the module docstring)."""

    reference: WorkforceReference
    store: Store
    clock: Clock
    policy: PlanningPolicy = field(default_factory=PlanningPolicy)
    only: tuple[str, ...] = ()
    """Serve only these units (all of the store's when empty)."""
    forecasts: CensusForecasts | None = None
    """Stored forecast runs, preferred over the naive forecast from the stored census."""

    def __post_init__(self) -> None:
        from careshift.policy import policy_version

        self._pack = _load(self.policy)
        self.rules = planning_rules(self.policy, self._pack.planned)
        self.policy_version = policy_version(self.rules)

    def _units(self) -> list[Unit]:
        return [unit for unit in self.reference.units() if not self.only or unit.id in self.only]

    def units(self) -> list[str]:
        return [unit.id for unit in self._units()]

    def _unit(self, unit_id: str) -> Unit:
        units = self._units()
        for unit in units:
            if unit.id == unit_id:
                return unit
        known = ", ".join(u.id for u in units) or "none (import a units file or run `careshift demo --no-serve`)"
        raise DomainError(f"unknown unit {unit_id!r}; known units: {known}")

    def _frame(self, unit: str) -> tuple[Unit, tuple[Staff, ...], Horizon]:
        """The unit, its staff on the planning problem's terms, and the horizon from today
        on the unit's clock (days already worked are history, not something to plan)."""
        record = self._unit(unit)
        staff = tuple(
            _planning_staff(item.staff, self._pack.ratio)
            for item in self.reference.staff()
            if item.staff.home_unit == unit
        )
        if not staff:
            raise DomainError(
                f"unit {unit!r} has no staff homed on it; import a staff file with home_unit {unit} before planning it"
            )
        today = self.clock().astimezone(zone(record.timezone)).date()
        return record, staff, Horizon(today, self.policy.days, record.timezone)

    def planning_input(self, unit: str) -> PlanningInput:
        """The unit's problem with the live roster and unavailability from the store."""
        record, staff, horizon = self._frame(unit)
        cover, context = self._cover(record, horizon, staff)
        problem = RosterProblem(
            name=f"{unit}-{horizon.start.isoformat()}",
            horizon=horizon,
            shift_types=self.policy.shift_types,
            staff=staff,
            rules=self.rules,
            contracts=tuple(Contract(c, weekly_minutes=m) for c, m in sorted(self.policy.weekly_minutes.items())),
            units=(record,),
            cover=cover,
            days_off=_credential_days_off(self._pack.credentials, staff, unit, horizon),
            skills=tuple(sorted({skill for member in staff for skill in member.skills})),
            policy_version=self.policy_version,
        )
        translated = (*self._pack.credentials, *((self._pack.ratio,) if self._pack.ratio else ()))
        context = {
            **context,
            "policy_pack": f"{self._pack.id} {self._pack.version}",
            "policy_translated": ", ".join(rule.id for rule in translated),
        }
        base = PlanningInput(problem, None, context, None, FEATURE_SET)
        live = ProjectedPlanning({unit: base}, self.store).planning_input(unit)
        current = live.current or Schedule(())
        return replace(live, current=_on_plan(current, self.policy.shift_types, staff))

    def coverage_template(self, unit: str) -> Schedule | None:
        """The roster as imported for the horizon (before call-outs): the unit's standing pattern."""
        _, staff, horizon = self._frame(unit)
        entries = self.store.roster(horizon.start, horizon.days[-1], unit)
        if not entries:
            return None
        schedule = Schedule.of(
            (Assignment(e.staff, e.day, e.shift, e.skill, e.unit) for e in entries), source="template"
        )
        return _on_plan(schedule, self.policy.shift_types, staff)

    # -- cover ------------------------------------------------------------------------------

    def _cover(
        self, unit: Unit, horizon: Horizon, staff: tuple[Staff, ...]
    ) -> tuple[tuple[ShiftCover, ...], dict[str, str]]:
        """Cover per shift, and the context saying where it came from."""
        needs = self._needs(unit, staff)
        now = self.clock().astimezone(UTC)
        stored: StoredCensus | str = f"no stored forecast for {unit.id}"
        if self.forecasts is not None:
            stored = self.forecasts.census_quantiles(unit.id, *_span(horizon, self.policy.shift_types))
        observed = self._observed_census(unit, now) if isinstance(stored, str) else None
        quantiles: QuantileSource
        if isinstance(stored, StoredCensus):
            quantiles = stored.quantiles
            about = f" ({stored.about})" if stored.about else ""
            context = {"cover_source": "forecast", "cover_forecast": f"stored census forecast run {stored.run}{about}"}
        elif observed is not None:
            quantiles = partial(naive_quantiles, observed, timezone=unit.timezone)
            context = {
                "cover_source": "census",
                "cover_forecast": (
                    f"{stored}: {FORECAST_VERSION} from the census observed in the 24 h to {now.isoformat()}"
                ),
            }
        else:
            quantiles = partial(full_unit_quantiles, unit.beds)
            context = {
                "cover_source": "coverage-template",
                "cover_forecast": (
                    f"{stored}, and no census for {unit.id}: cover from the unit's coverage template "
                    f"(all {unit.beds} beds occupied, at the pack's ratio)"
                ),
            }
        cover = shift_cover(
            unit.id, horizon.days, self.policy.shift_types, unit.timezone, needs, quantiles, self.policy.risk
        )
        licensed = needs[0]
        context["cover_ratio"] = (
            f"1:{licensed.patients_per_staff:g} licensed ({unit.unit_type}), floor at the median census, "
            f"target at {self.policy.risk} plus {licensed.extra_target}"
            if licensed.patients_per_staff is not None
            else f"no ratio for unit type {unit.unit_type} in the pack: fixed floor of {licensed.fixed_floor} licensed"
        )
        return tuple(replace(item, unit=unit.id) for item in cover), context

    def _needs(self, unit: Unit, staff: tuple[Staff, ...]) -> list[CoverNeed]:
        """Licensed staff at the pack's ratio first, then assistants, charge and triage where
        the unit has people who can fill them."""
        skills = {skill for member in staff for skill in member.skills}
        ratio = self._pack.ratio
        per_nurse = None
        if ratio is not None and isinstance(ratio.spec, NurseToPatientRatio):
            per_nurse = ratio.spec.patients_per_nurse.get(str(unit.unit_type))
        needs = [
            CoverNeed(LICENSED, per_nurse, min_staff=1, extra_target=1)
            if per_nurse is not None
            else CoverNeed(LICENSED, fixed_floor=1, fixed_target=2)
        ]
        if CNA in skills:
            # Assistants' ratio is house policy, not law: a target, never a hard floor.
            needs.append(CoverNeed(CNA, self.policy.cna_patients_per_staff, floor_from_ratio=False))
        if CHARGE in skills:
            needs.append(CoverNeed(CHARGE, fixed_target=1, cap_margin=0))
        if TRIAGE in skills:
            needs.append(CoverNeed(TRIAGE, fixed_floor=1, fixed_target=1, cap_margin=0))
        return needs

    def _observed_census(self, unit: Unit, now: datetime) -> dict[time, int] | None:
        """The census at each local time of day over the 24 h before ``now``, or ``None``
        when no census event about the unit occurred in the week before."""
        recent = self.store.read(since=now - timedelta(days=7), until=now, unit=unit.id)
        if not any(census_change(stored.event) is not None for stored in recent):
            return None
        tz = zone(unit.timezone)
        series = self.store.census(now - timedelta(days=1), now, unit.id)
        return {item.start.astimezone(tz).time(): max(0, item.patients) for item in series}


def _span(horizon: Horizon, shift_types: tuple[ShiftType, ...]) -> tuple[datetime, datetime]:
    """From the first shift's start on the horizon's first day to the last shift's end on its
    last day: the instants whose census the horizon's cover is computed from."""
    first = [shift.interval_on(horizon.days[0], horizon.timezone) for shift in shift_types]
    last = [shift.interval_on(horizon.days[-1], horizon.timezone) for shift in shift_types]
    return min(span.start for span in first), max(span.end for span in last)


def _planning_staff(member: Staff, ratio: Rule | None) -> Staff:
    """The member with the cover skills of the planning problem: ``licensed`` for the roles
    the ratio counts, ``cna``, ``charge``, and ``triage`` for those who hold it."""
    counted: frozenset[str] = frozenset({"RN"})
    if ratio is not None and isinstance(ratio.spec, NurseToPatientRatio):
        counted = ratio.spec.roles
    skills: set[str] = set()
    if member.roles & counted:
        skills.add(LICENSED)
    if "CNA" in member.roles:
        skills.add(CNA)
    if "CHARGE" in member.roles:
        skills.add(CHARGE)
    if TRIAGE in member.skills and member.roles & counted:
        skills.add(TRIAGE)
    return replace(member, skills=frozenset(skills))


def _credential_days_off(
    rules: tuple[Rule, ...], staff: tuple[Staff, ...], unit: str, horizon: Horizon
) -> dict[str, frozenset[date]]:
    """Days a member may not work because a credential the pack requires is not held or
    has expired (the engine's translation of ``credential_required``)."""
    off: dict[str, set[date]] = {}
    for rule in rules:
        if not isinstance(rule.spec, CredentialRequired) or not rule.scope.covers_unit(unit):
            continue
        for member in staff:
            if not rule.scope.covers(member):
                continue
            for day in horizon.days:
                if rule.in_effect(day) and not all(member.has_credential(c, day) for c in rule.spec.credentials):
                    off.setdefault(member.id, set()).add(day)
    return {member: frozenset(days) for member, days in off.items()}


def _on_plan(schedule: Schedule, shift_types: tuple[ShiftType, ...], staff: tuple[Staff, ...]) -> Schedule:
    """``schedule`` on the planning problem's terms: shifts of its pattern and its staff
    only, each assignment covering the member's cover skill (a roster imports without one)."""
    shifts = {shift.id for shift in shift_types}
    skills = {member.id: member.skills for member in staff}
    kept: list[Assignment] = []
    for a in schedule:
        if a.shift not in shifts or a.staff not in skills:
            continue
        have = skills[a.staff]
        skill = a.skill if a.skill in have else _primary(have)
        kept.append(Assignment(a.staff, a.day, a.shift, skill, a.unit))
    return Schedule.of(kept, source=schedule.source)


def _primary(skills: frozenset[str]) -> str | None:
    """The post a rostered member fills when the roster does not say: a charge nurse is
    rostered as charge, everyone else in their own grade (triage is always explicit)."""
    for skill in (CHARGE, CNA, LICENSED):
        if skill in skills:
            return skill
    return None
