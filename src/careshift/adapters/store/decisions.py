"""The decision-service ports on SQLAlchemy (SQLite and PostgreSQL), tables of migration 0003.

``SqlDecisionStore(url)`` migrates the database (the event log's tables too) and hands out
units of work: one SQL transaction each, covering recommendations, decisions, approved
schedules, unit modes, the outbox and the audit chain. Audit appends are serialised (a
transaction-scoped advisory lock on PostgreSQL, one writer at a time on SQLite) so two
requests never claim the same chain position.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from types import TracebackType
from typing import Any, Self

import psycopg
from psycopg.rows import namedtuple_row
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    delete,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError, SQLAlchemyError

from careshift.adapters.store.cooperative import cooperative_connect, in_write, run_cooperatively, suspend
from careshift.adapters.store.database import SQLITE_BUSY_SECONDS, make_engine, sqlite_path, upgrade
from careshift.adapters.store.durability import GroupSync, PostgresGroupSync, SqliteGroupSync
from careshift.adapters.store.schema import UtcDateTime
from careshift.domain.decisions import Decision, Outcome
from careshift.domain.errors import ServiceUnavailableError
from careshift.domain.recommendations import ProducedBy, ReasonStatement, Recommendation, UnitMode
from careshift.domain.schedule import Assignment, Schedule
from careshift.service.autopolicy import AutoThresholds
from careshift.service.commits import Cooperative
from careshift.service.errors import ConflictError, StaleRead
from careshift.service.forecasts import StoredForecast, points_from_json, points_to_json
from careshift.service.repositories import (
    ApprovedSchedule,
    CheckSummary,
    OutboxMessage,
    OutboxState,
    RecommendationState,
    RecommendationStatus,
    StoredDecision,
    StoredRecommendation,
)
from careshift.telemetry.audit import AuditEntry

metadata = MetaData()
INSTANT = UtcDateTime()

recommendation_table = Table(
    "recommendation",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("unit", String(64)),
    Column("created_at", INSTANT),
    Column("status", String(16)),
    Column("version", Integer),
    Column("produced_by", String(32)),
    Column("body", JSON),
)
decision_table = Table(
    "decision",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("recommendation_id", String(64)),
    Column("unit", String(64)),
    Column("outcome", String(16)),
    Column("user_id", String(200)),
    Column("role", String(200)),
    Column("decided_at", INSTANT),
    Column("reason_code", String(64)),
    Column("comment", Text),
)
approved_table = Table(
    "approved_schedule",
    metadata,
    Column("unit", String(64), primary_key=True),
    Column("recommendation_id", String(64)),
    Column("approved_at", INSTANT),
    Column("approved_by", String(200)),
    Column("assignments", JSON),
    Column("policy_version", String(64)),
)
mode_table = Table("unit_mode", metadata, Column("unit", String(64), primary_key=True), Column("mode", String(16)))
threshold_table = Table(
    "unit_auto_threshold",
    metadata,
    Column("unit", String(64), primary_key=True),
    Column("max_risk", Float),
    Column("min_confidence", Float),
)
forecast_table = Table(
    "forecast_run",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("unit", String(64)),
    Column("generated_at", INSTANT),
    Column("model_version", String(200)),
    Column("feature_set", String(200)),
    Column("quality_verdict", String(16)),
    Column("body", JSON),
)
outbox_table = Table(
    "outbox",
    metadata,
    Column("key", String(400), primary_key=True),
    Column("recommendation_id", String(64)),
    Column("unit", String(64)),
    Column("body", JSON),
    Column("created_at", INSTANT),
    Column("state", String(16)),
    Column("attempts", Integer),
    Column("last_error", Text),
    Column("result", JSON),
)
audit_table = Table(
    "audit_entry",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(40)),
    Column("actor", String(200)),
    Column("scope", String(200)),
    Column("action", String(100)),
    Column("payload", Text),
    Column("prev_hash", String(64)),
    Column("hash", String(64)),
)

AUDIT_LOCK_KEY = 0x6361726573  # "cares": the advisory lock id serialising audit appends on PostgreSQL


# -- JSON codecs ------------------------------------------------------------------------------


def assignment_to_json(a: Assignment) -> list[Any]:
    return [a.staff, a.day.isoformat(), a.shift, a.skill, a.unit]


def assignment_from_json(raw: list[Any]) -> Assignment:
    return Assignment(raw[0], date.fromisoformat(raw[1]), raw[2], raw[3], raw[4])


def recommendation_to_json(item: StoredRecommendation) -> dict[str, Any]:
    rec = item.recommendation
    return {
        "created_at": rec.created_at.isoformat(),
        "added": [assignment_to_json(a) for a in rec.added],
        "removed": [assignment_to_json(a) for a in rec.removed],
        "reasons": [[r.code, r.text, r.before, r.after] for r in rec.reasons],
        "policy_version": rec.policy_version,
        "roster_version": rec.roster_version,
        "model_version": rec.model_version,
        "feature_set": rec.feature_set,
        "cost_before": rec.cost_before,
        "cost_after": rec.cost_after,
        "context": dict(rec.context),
        "schedule": [assignment_to_json(a) for a in item.schedule],
        "schedule_source": item.schedule.source,
        "schedule_policy_version": item.schedule.policy_version,
        "check": [item.check.feasible, item.check.hard_violations, item.check.cost, list(item.check.hard_rules)],
        "fallback_reason": item.fallback_reason,
    }


def recommendation_from_row(row: Any) -> StoredRecommendation:
    body = row.body
    rec = Recommendation(
        id=row.id,
        unit=row.unit,
        created_at=datetime.fromisoformat(body["created_at"]),
        added=tuple(assignment_from_json(a) for a in body["added"]),
        removed=tuple(assignment_from_json(a) for a in body["removed"]),
        reasons=tuple(ReasonStatement(c, t, b, a) for c, t, b, a in body["reasons"]),
        produced_by=ProducedBy(row.produced_by),
        policy_version=body["policy_version"],
        roster_version=body["roster_version"],
        model_version=body["model_version"],
        feature_set=body["feature_set"],
        cost_before=body["cost_before"],
        cost_after=body["cost_after"],
        context=dict(body["context"]),
    )
    schedule = Schedule.of(
        (assignment_from_json(a) for a in body["schedule"]),
        source=body["schedule_source"],
        policy_version=body["schedule_policy_version"],
    )
    feasible, hard, cost, rules = body["check"]
    summary = CheckSummary(bool(feasible), int(hard), int(cost), tuple(rules))
    status = RecommendationStatus(row.status)
    return StoredRecommendation(rec, schedule, summary, status, int(row.version), body["fallback_reason"])


# -- repositories ------------------------------------------------------------------------------


# The statements on the decision path, built once: building a statement costs about three
# times as much CPU as executing it, and a decision runs six of them inside the write lock.
_rec = recommendation_table.c
_STATE = select(_rec.id, _rec.unit, _rec.status, _rec.version).where(_rec.id == bindparam("rid"))
_SET_STATUS = (
    update(recommendation_table)
    .where(recommendation_table.c.id == bindparam("rid"), recommendation_table.c.version == bindparam("expected"))
    .values(status=bindparam("new_status"), version=bindparam("new_version"))
)
_MODE = select(mode_table.c.mode).where(mode_table.c.unit == bindparam("unit_id"))
_AUDIT_HEAD = select(audit_table).order_by(audit_table.c.seq.desc()).limit(1)
_APPEND_AUDIT = insert(audit_table)
_BEGIN_AND_LOCK_CHAIN = (
    "BEGIN; SELECT pg_advisory_xact_lock(%(lock_key)s), set_config('synchronous_commit', %(sync)s, true)"
)
_BEGIN_LATER = "careshift.begin_later"  # Connection.info: the BEGIN to send before the next statement
_REMEMBERED = "careshift.remembered"  # Connection.info: what the writers' last commit left (Remembered)
_UNTRACKED = "careshift.untracked"  # Connection.info flag: this transaction ran a statement Remembered cannot follow
_REMEMBER_AT_MOST = 256  # recommendation states kept in Remembered, the latest read or written
_HELD = "careshift.held"  # Connection.info: statements held back, sent before the next one (HeldWrites)
# A writer's first lookup of a recommendation also fetches what a decision reads next: the
# unit's mode and, on PostgreSQL, the audit chain's head (one round trip instead of three; see ReadAhead).
_STATE_AND_MODE = select(
    _rec.id,
    _rec.unit,
    _rec.status,
    _rec.version,
    select(mode_table.c.mode).where(mode_table.c.unit == _rec.unit).scalar_subquery().label("mode"),
).where(_rec.id == bindparam("rid"))
_STATE_MODE_AND_HEAD = _STATE_AND_MODE.add_columns(*audit_table.c).select_from(
    recommendation_table.outerjoin(
        audit_table, audit_table.c.seq == select(func.max(audit_table.c.seq)).scalar_subquery()
    )
)
_ADD_DECISION = insert(decision_table).returning(decision_table.c.seq)
_PG = postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]
_NEXT_DECISION = "nextval(pg_get_serial_sequence('decision', 'seq')) AS next_decision"
# PostgreSQL writers: what a writer reads first comes back with the BEGIN and the chain's lock,
# in one simple query (bound client-side; READ COMMITTED gives each statement its own snapshot,
# so the read, after the lock, sees every earlier writer's commit), with a decision number drawn
# ahead (a number drawn for a decision that is then refused is skipped, as after any rollback).
_BEGIN_LOCK_AND_READ = (
    _BEGIN_AND_LOCK_CHAIN + "; " + str(_STATE_MODE_AND_HEAD.add_columns(text(_NEXT_DECISION)).compile(dialect=_PG))
)
# A writer that trusts what the last commit left (Remembered) reads nothing: its BEGIN and lock
# go out with its writes and COMMIT, behind this guard on the chain's head, and the COMMIT's round
# trip draws the next writer's decision number.
_CHECK_HEAD = (
    "DO $$BEGIN IF (SELECT max(seq) FROM audit_entry) IS DISTINCT FROM %(head)s THEN "
    "RAISE EXCEPTION 'the audit chain moved on since this writer last read it' "
    "USING ERRCODE = 'serialization_failure'; END IF; END$$"
)
_BEGIN_LOCK_AND_CHECK = _BEGIN_AND_LOCK_CHAIN + "; " + _CHECK_HEAD
_DRAW_DECISION = "SELECT " + _NEXT_DECISION
_APPEND_AUDIT_PG = str(_APPEND_AUDIT.compile(dialect=_PG))
# PostgreSQL: move the recommendation (if still at the expected version) and add the decision
# in one statement; no row back means the version had moved on.
_MOVED = _SET_STATUS.returning(recommendation_table.c.id).cte("moved")
_DECISION_VALUES = (
    bindparam("d_unit", type_=String),
    bindparam("d_outcome", type_=String),
    bindparam("d_user_id", type_=String),
    bindparam("d_role", type_=String),
    bindparam("d_decided_at", type_=INSTANT),
    bindparam("d_reason_code", type_=String),
    bindparam("d_comment", type_=Text),
)
_DECISION_COLUMNS = ["recommendation_id", "unit", "outcome", "user_id", "role", "decided_at", "reason_code", "comment"]
_MOVE_AND_DECIDE = (
    insert(decision_table)
    .from_select(_DECISION_COLUMNS, select(_MOVED.c.id, *_DECISION_VALUES))
    .returning(decision_table.c.seq)
)
# With a decision number drawn ahead (ReadAhead.next_decision), for a decision held for the
# commit, followed by a guard: when the version had moved on, nothing was inserted, and the
# transaction must fail (a conflict, 409) rather than commit the audit entry held after it.
_MOVE_AND_DECIDE_NUMBERED = insert(decision_table).from_select(
    ["seq", *_DECISION_COLUMNS], select(bindparam("d_seq", type_=Integer), _MOVED.c.id, *_DECISION_VALUES)
)
_MOVE_AND_DECIDE_PG = str(_MOVE_AND_DECIDE_NUMBERED.compile(dialect=_PG)) + (
    "; DO $$BEGIN IF NOT EXISTS (SELECT FROM decision WHERE seq = %(d_seq)s) THEN "
    "RAISE EXCEPTION 'the recommendation changed meanwhile' USING ERRCODE = 'integrity_constraint_violation'; "
    "END IF; END$$"
)


def _state_of(row: Any) -> RecommendationState:
    return RecommendationState(row.id, row.unit, RecommendationStatus(row.status), row.version)


def _changed_meanwhile(recommendation_id: str) -> ConflictError:
    return ConflictError(f"recommendation {recommendation_id} changed meanwhile; reload it and decide again")


def _moved_on(exc: DBAPIError) -> bool:
    """``exc`` is the head guard of a writer that trusted ``Remembered`` (``_CHECK_HEAD``)."""
    return getattr(exc.orig, "sqlstate", None) == "40001"


def _clash() -> ConflictError:
    return ConflictError("another request changed the same records at the same time; retry")


def _stale() -> StaleRead:
    return StaleRead("the store changed since this writer last read it (another process wrote); nothing was written")


@dataclass(frozen=True)
class Remembered:
    """What the PostgreSQL writers' connection knows of the database as its last commit left it:
    the chain's head, the recommendation states and unit modes its transactions read or wrote
    while nobody else moved the head, and a decision number drawn in that commit.

    A writer whose first read is among these states reads nothing: its BEGIN and the chain's
    lock go out with its writes and its COMMIT, in one round trip instead of two, behind a guard
    that the head is still this one. Every change of a state or a mode appends to the chain, so
    an unmoved head means nothing remembered has changed. When it has moved (another process
    wrote), the guard fails the transaction (``StaleRead``, nothing written) and the command runs
    again, reading. Any statement this record cannot follow (anything but the decision path's
    reads and held writes) makes the connection forget it."""

    head: AuditEntry | None
    next_decision: int
    states: dict[str, RecommendationState]
    modes: dict[str, str | None]


@dataclass
class ReadAhead:
    """Rows a writing unit of work fetched before it asked for them, kept up to date by its own
    writes, for its first transaction only.

    On PostgreSQL that transaction holds the chain's advisory lock from its first statement, so
    no other writer (in any process) changes the mode or the chain meanwhile: both are read
    ahead. On SQLite only this process's lock is held when the first read runs (SQLite's own
    write lock comes with the first write), and another process may append to the chain in
    between: there the chain head is read when it is needed, after the first write, as before."""

    head_ahead: bool
    active: bool = True
    modes: dict[str, str | None] = field(default_factory=dict)
    head: AuditEntry | None = None
    head_known: bool = False
    states: dict[str, RecommendationState | None] = field(default_factory=dict)
    """Recommendations read with the BEGIN (``SqlUnitOfWork.reading``), each served once."""
    next_decision: int | None = None
    """A decision number drawn with the BEGIN (PostgreSQL): the first decision recorded takes it,
    so that nothing reads its insert, which then goes out with the COMMIT."""
    seen: dict[str, RecommendationState] = field(default_factory=dict)
    """States this transaction read or wrote, as it leaves them (``Remembered``)."""

    def trust(self, known: Remembered, recommendation_id: str) -> None:
        """Serve this transaction's reads from what the last commit left (``Remembered``)."""
        self.states[recommendation_id] = known.states[recommendation_id]
        self.seen.update(known.states)
        self.modes.update(known.modes)
        self.head, self.head_known = known.head, True
        self.next_decision = known.next_decision

    def recall(self, known: Remembered) -> None:
        """After a read: keep what the last commit left too, if the chain's head has not moved since."""
        if self.head_known and _seq(self.head) == _seq(known.head):
            self.seen = {**known.states, **self.seen}
            self.modes = {**known.modes, **self.modes}

    def note(self, state: RecommendationState) -> None:
        self.seen.pop(state.id, None)
        self.seen[state.id] = state  # the latest last

    def remembered(self, next_decision: int) -> Remembered:
        """What this transaction leaves for the next writer, once committed."""
        states = dict(list(self.seen.items())[-_REMEMBER_AT_MOST:])
        return Remembered(self.head, next_decision, states, dict(self.modes))

    def remember(self, recommendation_id: str, row: Any) -> RecommendationState | None:
        """Keep what one state-mode-and-head row says (``row`` is ``None``: no such recommendation)."""
        if row is None:
            self.states[recommendation_id] = None
            return None
        state = _state_of(row)
        self.states[recommendation_id] = state
        self.note(state)
        self.modes.setdefault(row.unit, row.mode)
        self.next_decision = getattr(row, "next_decision", None)
        if self.head_ahead and not self.head_known:
            self.head, self.head_known = (None if row.seq is None else _entry(row)), True
        return state

    def end(self) -> None:
        """The first transaction ended: nothing read ahead holds any more, and later
        transactions of the unit of work read as they go."""
        self.active = False
        self.modes.clear()
        self.states.clear()
        self.next_decision = None  # drawn for that transaction only
        self.head, self.head_known = None, False
        self.seen = {}


def _seq(entry: AuditEntry | None) -> int | None:
    return None if entry is None else entry.seq


class SqlRecommendations:
    def __init__(self, connection: Connection, ahead: ReadAhead | None = None) -> None:
        self._s = connection
        self._ahead = ahead

    def add(self, item: StoredRecommendation) -> None:
        rec = item.recommendation
        self._s.execute(
            insert(recommendation_table).values(
                id=rec.id,
                unit=rec.unit,
                created_at=rec.created_at,
                status=item.status.value,
                version=item.version,
                produced_by=rec.produced_by.value,
                body=recommendation_to_json(item),
            )
        )

    def get(self, recommendation_id: str) -> StoredRecommendation | None:
        row = self._s.execute(
            select(recommendation_table).where(recommendation_table.c.id == recommendation_id)
        ).first()
        return None if row is None else recommendation_from_row(row)

    def state(self, recommendation_id: str) -> RecommendationState | None:
        ahead = self._ahead if self._ahead is not None and self._ahead.active else None
        if ahead is None:
            row = self._s.execute(_STATE, {"rid": recommendation_id}).first()
            return None if row is None else _state_of(row)
        if recommendation_id in ahead.states:
            return ahead.states.pop(recommendation_id)
        statement = _STATE_MODE_AND_HEAD if ahead.head_ahead else _STATE_AND_MODE
        return ahead.remember(recommendation_id, self._s.execute(statement, {"rid": recommendation_id}).first())

    def set_status(self, recommendation_id: str, status: RecommendationStatus, expected_version: int) -> None:
        self._move(recommendation_id, status, expected_version + 1, expected_version)

    def save(self, item: StoredRecommendation, expected_version: int) -> None:
        # The content of a recommendation never changes after it is made; only its status moves.
        self._move(item.id, item.status, item.version, expected_version)

    def _move(self, recommendation_id: str, status: RecommendationStatus, version: int, expected: int) -> None:
        """Set status and version if the stored version is still ``expected``."""
        parameters = {
            "rid": recommendation_id,
            "expected": expected,
            "new_status": status.value,
            "new_version": version,
        }
        if self._ahead is not None:
            self._ahead.states.pop(recommendation_id, None)
        result = self._s.execute(_SET_STATUS, parameters)
        if result.rowcount != 1:
            raise _changed_meanwhile(recommendation_id)

    def for_unit(
        self, unit: str, limit: int = 50, statuses: Collection[RecommendationStatus] | None = None
    ) -> list[StoredRecommendation]:
        query = select(recommendation_table).where(recommendation_table.c.unit == unit)
        if statuses is not None:
            query = query.where(recommendation_table.c.status.in_([s.value for s in statuses]))
        order = (recommendation_table.c.created_at.desc(), recommendation_table.c.id.desc())
        rows = self._s.execute(query.order_by(*order).limit(limit))
        return [recommendation_from_row(row) for row in rows]


def _decision(row: Any) -> StoredDecision:
    decision = Decision(
        recommendation_id=row.recommendation_id,
        outcome=Outcome(row.outcome),
        user=row.user_id,
        role=row.role,
        at=row.decided_at,
        reason_code=row.reason_code,
        comment=row.comment,
    )
    return StoredDecision(int(row.seq), decision, row.unit)


class SqlDecisions:
    def __init__(self, connection: Connection, ahead: ReadAhead | None = None, held: HeldWrites | None = None) -> None:
        self._s = connection
        self._ahead = ahead
        self._held = held

    def add(self, decision: Decision, unit: str) -> StoredDecision:
        row = {
            "recommendation_id": decision.recommendation_id,
            "unit": unit,
            "outcome": decision.outcome.value,
            "user_id": decision.user,
            "role": decision.role,
            "decided_at": decision.at,
            "reason_code": decision.reason_code,
            "comment": decision.comment,
        }
        seq = self._s.execute(_ADD_DECISION, row).scalar_one()
        return StoredDecision(int(seq), decision, unit)

    def record(
        self, decision: Decision, unit: str, status: RecommendationStatus, expected_version: int
    ) -> StoredDecision:
        if self._s.dialect.name != "postgresql":
            SqlRecommendations(self._s, self._ahead).set_status(decision.recommendation_id, status, expected_version)
            return self.add(decision, unit)
        if self._ahead is not None:
            self._ahead.states.pop(decision.recommendation_id, None)
        # the decision's values are named d_*: an UPDATE would take a key named like one of its
        # table's columns ("unit") for a value to set
        parameters = {
            "rid": decision.recommendation_id,
            "expected": expected_version,
            "new_status": status.value,
            "new_version": expected_version + 1,
            "d_unit": unit,
            "d_outcome": decision.outcome.value,
            "d_user_id": decision.user,
            "d_role": decision.role,
            "d_decided_at": decision.at,
            "d_reason_code": decision.reason_code,
            "d_comment": decision.comment,
        }
        if self._ahead is not None and self._ahead.next_decision is not None and self._held is not None:
            # numbered ahead: held for the commit, whose guard turns a stale version into a conflict
            number, self._ahead.next_decision = self._ahead.next_decision, None
            self._ahead.note(RecommendationState(decision.recommendation_id, unit, status, expected_version + 1))
            at = INSTANT.process_bind_param(decision.at, _PG)  # the value SQLAlchemy would send
            self._held.add(_MOVE_AND_DECIDE_PG, {**parameters, "d_seq": number, "d_decided_at": at})
            return StoredDecision(number, decision, unit)
        seq = self._s.execute(_MOVE_AND_DECIDE, parameters).scalar()
        if seq is None:
            raise _changed_meanwhile(decision.recommendation_id)
        return StoredDecision(int(seq), decision, unit)

    def for_recommendation(self, recommendation_id: str) -> list[StoredDecision]:
        query = select(decision_table).where(decision_table.c.recommendation_id == recommendation_id)
        return [_decision(row) for row in self._s.execute(query.order_by(decision_table.c.seq))]

    def all(self, unit: str | None = None) -> list[StoredDecision]:
        query = select(decision_table).order_by(decision_table.c.seq)
        if unit is not None:
            query = query.where(decision_table.c.unit == unit)
        return [_decision(row) for row in self._s.execute(query)]


class SqlSchedules:
    def __init__(self, connection: Connection) -> None:
        self._s = connection

    def approved(self, unit: str) -> ApprovedSchedule | None:
        row = self._s.execute(select(approved_table).where(approved_table.c.unit == unit)).first()
        if row is None:
            return None
        assignments = (assignment_from_json(a) for a in row.assignments)
        schedule = Schedule.of(assignments, source="approved", policy_version=row.policy_version)
        return ApprovedSchedule(row.unit, schedule, row.recommendation_id, row.approved_at, row.approved_by)

    def save_approved(self, approved: ApprovedSchedule) -> None:
        self._s.execute(delete(approved_table).where(approved_table.c.unit == approved.unit))
        self._s.execute(
            insert(approved_table).values(
                unit=approved.unit,
                recommendation_id=approved.recommendation_id,
                approved_at=approved.approved_at,
                approved_by=approved.approved_by,
                assignments=[assignment_to_json(a) for a in approved.schedule],
                policy_version=approved.schedule.policy_version,
            )
        )


class SqlModes:
    def __init__(self, connection: Connection, ahead: ReadAhead | None = None) -> None:
        self._s = connection
        self._ahead = ahead

    def get(self, unit: str) -> UnitMode | None:
        if self._ahead is not None and unit in self._ahead.modes:
            value = self._ahead.modes[unit]
        else:
            value = self._s.execute(_MODE, {"unit_id": unit}).scalar()
        return None if value is None else UnitMode(value)

    def set(self, unit: str, mode: UnitMode) -> None:
        self._s.execute(delete(mode_table).where(mode_table.c.unit == unit))
        self._s.execute(insert(mode_table).values(unit=unit, mode=mode.value))
        if self._ahead is not None and self._ahead.active:
            self._ahead.modes[unit] = mode.value

    def all(self) -> dict[str, UnitMode]:
        return {row.unit: UnitMode(row.mode) for row in self._s.execute(select(mode_table))}

    def thresholds(self, unit: str) -> AutoThresholds | None:
        row = self._s.execute(select(threshold_table).where(threshold_table.c.unit == unit)).first()
        return None if row is None else AutoThresholds(float(row.max_risk), float(row.min_confidence))

    def set_thresholds(self, unit: str, thresholds: AutoThresholds) -> None:
        self._s.execute(delete(threshold_table).where(threshold_table.c.unit == unit))
        self._s.execute(
            insert(threshold_table).values(
                unit=unit, max_risk=thresholds.max_risk, min_confidence=thresholds.min_confidence
            )
        )


def _forecast(row: Any) -> StoredForecast:
    body = row.body
    return StoredForecast(
        id=row.id,
        unit=row.unit,
        generated_at=row.generated_at,
        model_version=row.model_version,
        feature_set=row.feature_set,
        points=points_from_json(body["points"]),
        target=body["target"],
        step_minutes=int(body["step_minutes"]),
        quality_verdict=row.quality_verdict,
        quality_reason=body["quality_reason"],
    )


class SqlForecasts:
    def __init__(self, connection: Connection) -> None:
        self._s = connection

    def add(self, forecast: StoredForecast) -> None:
        body = {
            "target": forecast.target,
            "step_minutes": forecast.step_minutes,
            "quality_reason": forecast.quality_reason,
            "points": points_to_json(forecast.points),
        }
        self._s.execute(
            insert(forecast_table).values(
                id=forecast.id,
                unit=forecast.unit,
                generated_at=forecast.generated_at,
                model_version=forecast.model_version,
                feature_set=forecast.feature_set,
                quality_verdict=forecast.quality_verdict,
                body=body,
            )
        )

    def get(self, forecast_id: str) -> StoredForecast | None:
        row = self._s.execute(select(forecast_table).where(forecast_table.c.id == forecast_id)).first()
        return None if row is None else _forecast(row)

    def for_unit(self, unit: str, limit: int = 20) -> list[StoredForecast]:
        order = (forecast_table.c.generated_at.desc(), forecast_table.c.id.desc())
        query = select(forecast_table).where(forecast_table.c.unit == unit).order_by(*order).limit(limit)
        return [_forecast(row) for row in self._s.execute(query)]


def _outbox(row: Any) -> OutboxMessage:
    return OutboxMessage(
        key=row.key,
        recommendation_id=row.recommendation_id,
        unit=row.unit,
        body=dict(row.body),
        created_at=row.created_at,
        state=OutboxState(row.state),
        attempts=int(row.attempts),
        last_error=row.last_error,
        result=dict(row.result),
    )


class SqlOutbox:
    def __init__(self, connection: Connection) -> None:
        self._s = connection

    def add(self, message: OutboxMessage) -> None:
        exists = self._s.execute(select(outbox_table.c.key).where(outbox_table.c.key == message.key)).first()
        if exists is None:
            self._s.execute(insert(outbox_table).values(**self._values(message)))

    @staticmethod
    def _values(message: OutboxMessage) -> dict[str, Any]:
        return {
            "key": message.key,
            "recommendation_id": message.recommendation_id,
            "unit": message.unit,
            "body": dict(message.body),
            "created_at": message.created_at,
            "state": message.state.value,
            "attempts": message.attempts,
            "last_error": message.last_error,
            "result": dict(message.result),
        }

    def pending(self, limit: int = 100) -> list[OutboxMessage]:
        query = (
            select(outbox_table)
            .where(outbox_table.c.state == OutboxState.PENDING.value)
            .order_by(outbox_table.c.created_at, outbox_table.c.key)
            .limit(limit)
        )
        return [_outbox(row) for row in self._s.execute(query)]

    def save(self, message: OutboxMessage) -> None:
        values = self._values(message)
        self._s.execute(update(outbox_table).where(outbox_table.c.key == message.key).values(**values))

    def all(self) -> list[OutboxMessage]:
        query = select(outbox_table).order_by(outbox_table.c.created_at, outbox_table.c.key)
        return [_outbox(row) for row in self._s.execute(query)]


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        int(row.seq),
        datetime.fromisoformat(row.at),
        row.actor,
        row.scope,
        row.action,
        json.loads(row.payload),
        row.prev_hash,
        row.hash,
    )


class SqlAudit:
    """The audit chain inside a unit of work's transaction."""

    def __init__(
        self,
        connection: Connection,
        *,
        locked: bool = False,
        ahead: ReadAhead | None = None,
        held: HeldWrites | None = None,
    ) -> None:
        self._s = connection
        self._locked = locked  # the unit of work already holds the chain's lock
        self._ahead = ahead
        self._held = held  # PostgreSQL writers: appends go out with the next statement or the commit

    def _lock(self) -> None:
        if not self._locked and self._s.dialect.name == "postgresql":
            self._s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
        self._locked = True

    def append(self, entry: AuditEntry) -> None:
        self._lock()
        row = {
            "seq": entry.seq,
            "at": entry.at.isoformat(),
            "actor": entry.actor,
            "scope": entry.scope,
            "action": entry.action,
            "payload": json.dumps(entry.payload, sort_keys=True, default=str),
            "prev_hash": entry.prev_hash,
            "hash": entry.hash,
        }
        try:
            if self._held is not None:
                self._held.add(_APPEND_AUDIT_PG, row)  # a clash surfaces at the commit, as a conflict too
            else:
                self._s.execute(_APPEND_AUDIT, row)
        except IntegrityError as exc:
            raise ConflictError(
                f"audit entry {entry.seq} was taken meanwhile (another process wrote to the store); retry"
            ) from exc
        if self._ahead is not None and self._ahead.active:
            self._ahead.head, self._ahead.head_known = entry, True

    def entries(self) -> Iterable[AuditEntry]:
        return [_entry(row) for row in self._s.execute(select(audit_table).order_by(audit_table.c.seq))]

    def unlocked(self) -> None:
        """The transaction that held the chain's lock has ended: take it again before the chain is read."""
        self._locked = False

    def last(self) -> AuditEntry | None:
        if self._ahead is not None and self._ahead.head_known:
            return self._ahead.head
        self._lock()
        row = self._s.execute(_AUDIT_HEAD).first()
        return None if row is None else _entry(row)


def _sqlite(connection: Connection) -> sqlite3.Connection:
    raw = connection.connection.driver_connection
    assert isinstance(raw, sqlite3.Connection)
    return raw


def _begin_immediately(raw: sqlite3.Connection) -> None:
    """A SQLite write on the event loop takes the database's write lock before its first
    statement, waiting for it on the loop rather than inside SQLite (whose busy wait would hold
    the loop for as long as another process writes, up to 30 s); once the lock is held, nothing
    in the transaction waits for another writer."""
    deadline = time.monotonic() + SQLITE_BUSY_SECONDS
    pause = 0.001
    raw.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise ServiceUnavailableError(f"the decision store is unavailable ({exc})") from exc
                if time.monotonic() > deadline:
                    raise ServiceUnavailableError(
                        f"the decision store stayed locked by another process for {SQLITE_BUSY_SECONDS} s; "
                        "retry, and check what else writes to the SQLite file"
                    ) from exc
            suspend(asyncio.sleep(pause))
            pause = min(pause * 2, 0.05)
    finally:
        raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")


def _driver(connection: Connection) -> psycopg.Connection[Any]:
    raw = connection.connection.driver_connection
    assert isinstance(raw, psycopg.Connection)
    return raw


def _bind(connection: Connection, sql: str, parameters: dict[str, Any]) -> str:
    """``sql`` with its values bound client-side (psycopg quotes them), for a simple query."""
    with psycopg.ClientCursor(_driver(connection)) as cursor:
        return cursor.mogrify(sql, parameters)


def _simple_query(connection: Connection, sql: str, *, last_row: bool = False) -> Any:
    """Run ``sql`` (one or more statements, values bound) as one simple query on the writers'
    connection; with ``last_row``, return the first row of the last statement that returns rows
    (``None`` when it has none). Driver errors come out as SQLAlchemy's, and a lost connection is invalidated, as for
    any statement. (Not ``exec_driver_sql``: it passes an empty parameter list, and the driver
    then reads every ``%`` in a bound value as a placeholder.)"""
    raw = _driver(connection)
    try:
        with raw.cursor(row_factory=namedtuple_row) as cursor:
            cursor.execute(sql)  # no parameters: the simple query protocol, which takes several statements
            row = None
            while True:
                if last_row and cursor.description is not None:
                    row = cursor.fetchone()
                if not cursor.nextset():
                    return row
    except psycopg.Error as exc:
        invalidated = bool(connection.dialect.is_disconnect(exc, raw, None))  # type: ignore[arg-type]
        if invalidated:
            connection.invalidate(exc)
        raise DBAPIError.instance(sql, None, exc, psycopg.Error, connection_invalidated=invalidated) from exc


class HeldWrites:
    """Inserts on the PostgreSQL writers' connection whose outcome nothing reads before the
    commit (audit appends): held back, then sent in the round trip of the COMMIT. A statement run
    meanwhile sends them first (``_before_statement``), so the database still sees every
    statement in the order the unit of work ran them."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._statements: list[str] = []

    def add(self, sql: str, parameters: dict[str, Any]) -> None:
        self._statements.append(_bind(self._connection, sql, parameters))

    @property
    def pending(self) -> bool:
        return bool(self._statements)

    def take(self) -> list[str]:
        """The held statements, in order; none are held afterwards."""
        taken, self._statements = self._statements, []
        return taken


class SqlUnitOfWork:
    """One SQL transaction over every decision-service repository."""

    def __init__(
        self,
        engine: Engine,
        lock: threading.RLock | None,
        *,
        writer: bool = True,
        durable: GroupSync | None = None,
        connection: Callable[[], Connection] | None = None,
    ) -> None:
        self._engine = engine
        self._lock = lock
        self._writer = writer
        self._durable = durable
        # PostgreSQL writers get a connection of their own (under ``lock``, in driver autocommit)
        # and hold the chain's advisory lock from their first statement; everyone else uses the pool.
        self._connection = connection
        self._db: Connection | None = None
        self._committed = False
        self._first_read: str | None = None
        self._held: HeldWrites | None = None
        self._trusted = False  # this transaction reads what the last commit left (Remembered)

    def reading(self, recommendation_id: str) -> Self:
        """Say which recommendation's state this unit of work reads first: a PostgreSQL writer
        fetches it (with its unit's mode and the chain's head) in the round trip of its BEGIN."""
        self._first_read = recommendation_id
        return self

    def __enter__(self) -> Self:
        if self._lock is not None:
            self._lock.acquire()
        locked = self._connection is not None  # the chain's lock is taken in _begin
        self._ahead = ReadAhead(head_ahead=locked) if self._writer else None
        try:
            try:
                self._begin()
            except OperationalError as exc:
                if not (exc.connection_invalidated and self._connection is not None):
                    raise
                # The writers' connection died (a database restart): nothing was done yet, so
                # begin once more on a new one.
                self._abandon()
                self._begin()
        except BaseException as exc:
            self._abandon()
            if self._lock is not None:
                self._lock.release()
            if isinstance(exc, OperationalError | InterfaceError):
                raise ServiceUnavailableError(f"the decision store is unavailable ({type(exc).__name__})") from exc
            raise
        connection = self._db
        assert connection is not None
        self.recommendations = SqlRecommendations(connection, self._ahead)
        self.decisions = SqlDecisions(connection, self._ahead, self._held)
        self.schedules = SqlSchedules(connection)
        self.modes = SqlModes(connection, self._ahead)
        self.outbox = SqlOutbox(connection)
        self.forecasts = SqlForecasts(connection)
        self.audit = SqlAudit(connection, locked=locked, ahead=self._ahead, held=self._held)
        return self

    def _begin(self) -> None:
        # A plain Core connection: the repositories run Core statements only, and the ORM
        # session's bookkeeping cost more CPU than the statements themselves.
        self._db = None
        self._db = self._engine.connect() if self._connection is None else self._connection()
        self._transaction = self._db.begin()
        if self._writer and self._connection is None and in_write() and self._db.dialect.name == "sqlite":
            _begin_immediately(_sqlite(self._db))
        if self._connection is not None:
            # Every write appends to the one audit chain, so writers are serialised from the
            # start of their transaction: what they read is then the latest committed state,
            # and two decisions on one recommendation queue instead of failing.
            # With group commit, durability comes from the shared flush after the lock is
            # released, so the commit itself does not wait for the disk.
            # The writers' connection is in autocommit mode, so the driver sends no BEGIN of its
            # own: BEGIN, the lock and the setting go in one round trip (a simple query).
            synchronous = "off" if self._durable is not None else "on"
            self._held = HeldWrites(self._db)
            self._db.info[_HELD] = self._held
            values = {"lock_key": AUDIT_LOCK_KEY, "sync": synchronous}
            known: Remembered | None = self._db.info.pop(_REMEMBERED, None)
            self._db.info.pop(_UNTRACKED, None)
            first, ahead = self._first_read, self._ahead
            if first is None or ahead is None:
                _simple_query(self._db, _bind(self._db, _BEGIN_AND_LOCK_CHAIN, values))
                return
            if known is not None and first in known.states:
                ahead.trust(known, first)
                check = _bind(self._db, _BEGIN_LOCK_AND_CHECK, {**values, "head": _seq(known.head)})
                self._db.info[_BEGIN_LATER] = check  # sent with the first statement or the COMMIT
                self._trusted = True
                return
            read = _bind(self._db, _BEGIN_LOCK_AND_READ, {**values, "rid": first})
            ahead.remember(first, _simple_query(self._db, read, last_row=True))
            if known is not None:
                ahead.recall(known)

    def _abandon(self) -> None:
        """After a failed begin: end what was started, so that the writers' connection is never
        handed to the next writer inside a transaction (it is dropped if it cannot be rolled back)."""
        db = self._db
        if db is None:
            return
        try:
            if db.in_transaction():
                db.rollback()
        except SQLAlchemyError:
            db.invalidate()
        if self._connection is None:
            db.close()

    def _end(self) -> None:
        """Roll back what was not committed; give a pooled connection back (the writers' own stays open)."""
        assert self._db is not None
        self._db.info.pop(_BEGIN_LATER, None)
        self._db.info.pop(_HELD, None)
        try:
            if self._transaction.is_active:
                self._transaction.rollback()
        finally:
            if self._connection is None:
                self._db.close()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            try:
                self._end()
            except (OperationalError, InterfaceError) as error:
                if self._connection is not None and self._db is not None:
                    self._db.invalidate()  # the next writer begins on a new one
                if exc is None and not self._committed:
                    raise ServiceUnavailableError(
                        f"the decision store is unavailable ({type(error).__name__})"
                    ) from error
                # a rollback that failed after the commit (or after another error) loses nothing
            finally:
                if self._lock is not None:
                    self._lock.release()
        finally:
            if self._committed and self._durable is not None:
                self._durable.wait()  # outside the write lock, so concurrent commits share one fsync
        if self._trusted and isinstance(exc, ConflictError) and not isinstance(exc, StaleRead):
            # refused on what the last commit left, which the database never confirmed: ask again, reading
            raise StaleRead(f"refused on remembered state ({exc}); the command runs again, reading") from exc

    def commit(self) -> None:
        assert self._db is not None
        remember = self._remembers()
        row = None
        try:
            if self._held is not None and self._held.pending:
                statements = [*_owed(self._db), *([_DRAW_DECISION] if remember else []), "COMMIT"]
                row = _simple_query(self._db, "; ".join(statements), last_row=remember)  # one round trip
            self._transaction.commit()
            self._committed = True
        except IntegrityError as exc:
            self._transaction.rollback()
            raise (_stale() if self._trusted else _clash()) from exc
        except (OperationalError, InterfaceError) as exc:
            if _moved_on(exc):
                self._transaction.rollback()
                raise _stale() from exc
            raise ServiceUnavailableError(f"the decision store is unavailable ({type(exc).__name__})") from exc
        if remember and row is not None and self._ahead is not None:
            self._db.info[_REMEMBERED] = self._ahead.remembered(int(row.next_decision))
        self._next_transaction()

    def _remembers(self) -> bool:
        """Whether this commit leaves ``Remembered`` for the next writer: a PostgreSQL writer's
        first transaction that knows the chain's head and ran only the decision path's reads and
        held writes."""
        ahead, db = self._ahead, self._db
        return (
            self._connection is not None
            and db is not None
            and ahead is not None
            and ahead.active
            and ahead.head_known
            and not db.info.get(_UNTRACKED, False)
        )

    def rollback(self) -> None:
        if self._held is not None:
            self._held.take()  # never sent
        self._transaction.rollback()
        self._next_transaction()

    def _next_transaction(self) -> None:
        """Begin again: what was read ahead and the chain's transaction lock ended with the last
        one (the audit repository takes the lock again before it reads the chain)."""
        assert self._db is not None
        self._transaction = self._db.begin()
        if self._connection is not None:
            self._db.info[_BEGIN_LATER] = "BEGIN"  # autocommit mode: BEGIN comes with the next statement, if any
        self._trusted = False
        if self._ahead is not None:
            self._ahead.end()
        self.audit.unlocked()


def _owed(connection: Connection) -> list[str]:
    """What the writers' connection owes the database before its next statement, in order: the
    BEGIN of a unit of work that committed and goes on (``_BEGIN_LATER``: put off, so that the
    usual single commit costs no extra round trip) and the writes held back (``HeldWrites``).
    Owed no more once returned."""
    begin = connection.info.pop(_BEGIN_LATER, None)
    owed = [begin] if begin else []
    held: HeldWrites | None = connection.info.get(_HELD)
    return owed + (held.take() if held is not None else [])


def _before_statement(connection: Connection, *_: object) -> None:
    """Before a statement on the writers' connection: send what it owes first (``_owed``). What
    the last commit left (``Remembered``) is forgotten: the statement may change it."""
    connection.info[_UNTRACKED] = True
    connection.info.pop(_REMEMBERED, None)
    owed = _owed(connection)
    if owed:
        try:
            _simple_query(connection, "; ".join(owed))
        except IntegrityError as exc:  # as the commit would have said
            raise _clash() from exc
        except OperationalError as exc:
            if _moved_on(exc):
                raise _stale() from exc
            raise


class SqlDecisionStore:
    """Units of work, and a read-only view of the audit chain, on one database."""

    def __init__(self, url: str, *, migrate: bool = True, engine: Engine | None = None) -> None:
        self.url = url
        path = sqlite_path(url) if engine is None else None
        # Writers commit without waiting for the disk and then share one flush (group commit,
        # ADR 0012): a SQLite file of our own with synchronous=NORMAL, PostgreSQL with
        # synchronous_commit off per transaction. A given SQLite engine keeps its own settings.
        self.engine = engine or make_engine(url, sqlite_synchronous="NORMAL" if path is not None else "FULL")
        self.cooperative: Cooperative | None = None
        """How the API runs writes on its event loop (``SerialWriter(on_loop=...)``): PostgreSQL
        connections made by this store wait for the server cooperatively; a SQLite file's writers
        wait there for another process's write lock (ADR 0012)."""
        if engine is None and self.engine.dialect.name == "postgresql":
            event.listen(self.engine, "do_connect", cooperative_connect)
            self.cooperative = run_cooperatively
        elif path is not None:
            self.cooperative = run_cooperatively  # SQLite: only another writer's lock is waited for on the loop
        self._durable: GroupSync | None = None
        if path is not None:
            self._durable = SqliteGroupSync(path)
        elif self.engine.dialect.name == "postgresql":
            self._durable = PostgresGroupSync(self.engine)
        if migrate:
            upgrade(url, self.engine)
        # Writers append to one audit chain, so they take turns. Within this process they queue
        # on a lock *before* taking a database connection: on SQLite that avoids "database is
        # locked"; on PostgreSQL it keeps queued writers from holding pooled connections (which
        # readers and the durability flush need). Across processes, PostgreSQL's advisory lock
        # (taken in the unit of work) does the same.
        self._lock = threading.RLock()
        # Writers take turns, so on PostgreSQL they share one connection of their own (used only
        # under the lock): no pool checkout and no liveness ping per transaction, one round trip
        # less per decision. A dead one is replaced when the next writer begins (SqlUnitOfWork).
        self._writers_connection: Connection | None = None

    def unit_of_work(self) -> SqlUnitOfWork:
        connection = self._writers if self.engine.dialect.name == "postgresql" else None
        return SqlUnitOfWork(self.engine, self._lock, durable=self._durable, connection=connection)

    def _writers(self) -> Connection:
        """The writers' connection (called with the writer lock held)."""
        current = self._writers_connection
        if current is None or current.closed or current.invalidated or current.in_transaction():
            if current is not None:
                current.close()
            # Autocommit at the driver: the unit of work sends BEGIN itself, with its first statement.
            current = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            event.listen(current, "before_execute", _before_statement)
            self._writers_connection = current
        return current

    def reader(self) -> SqlUnitOfWork:
        """A unit of work for queries: no writer lock (SQLite WAL readers never block)."""
        return SqlUnitOfWork(self.engine, None, writer=False)

    def audit_entries(self) -> Iterator[AuditEntry]:
        with self.engine.connect() as session:
            yield from SqlAudit(session).entries()

    def close(self) -> None:
        with self._lock:  # a write still running finishes first (and its flush with it)
            if self._durable is not None:
                self._durable.close()
            if self._writers_connection is not None:
                self._writers_connection.close()
                self._writers_connection = None
        self.engine.dispose()


class SqlAuditView:
    """``AuditStore`` over the database for readers (``/audit/verify``, ``careshift audit verify``)."""

    def __init__(self, store: SqlDecisionStore) -> None:
        self._store = store

    def append(self, entry: AuditEntry) -> None:
        with self._store.unit_of_work() as uow:
            uow.audit.append(entry)
            uow.commit()

    def entries(self) -> Iterable[AuditEntry]:
        return list(self._store.audit_entries())

    def last(self) -> AuditEntry | None:
        with self._store.engine.connect() as session:
            return SqlAudit(session).last()
