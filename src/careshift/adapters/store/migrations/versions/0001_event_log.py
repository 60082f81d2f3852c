"""Event log, message ledger, census changes, quarantine, roster and leave.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
KEY = sa.String(200)
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "event_message",
        sa.Column("id", PK, primary_key=True, autoincrement=True),
        sa.Column("source_system", KEY, nullable=False),
        sa.Column("message_id", KEY, nullable=False),
        sa.Column("origin", sa.String(64), nullable=False),
        sa.Column("received_at", INSTANT, nullable=False),
        sa.UniqueConstraint("source_system", "message_id", name="uq_event_message_key"),
    )
    op.create_table(
        "event",
        sa.Column("id", PK, primary_key=True, autoincrement=True),
        sa.Column("source_system", KEY, nullable=False),
        sa.Column("source_id", KEY, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("entity_id", KEY, nullable=False),
        sa.Column("unit", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("occurred_at", INSTANT, nullable=False),
        sa.Column("recorded_at", INSTANT, nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("message_pk", PK, sa.ForeignKey("event_message.id"), nullable=True),
        sa.Column("reverses_system", KEY, nullable=True),
        sa.Column("reverses_id", KEY, nullable=True),
        sa.Column("reversed_by_system", KEY, nullable=True),
        sa.Column("reversed_by_id", KEY, nullable=True),
        sa.UniqueConstraint("source_system", "source_id", name="uq_event_key"),
    )
    op.create_index("ix_event_occurred", "event", ["occurred_at"])
    op.create_index("ix_event_entity", "event", ["entity_id"])
    op.create_index("ix_event_reverses", "event", ["reverses_system", "reverses_id"])
    op.create_index("ix_event_message", "event", ["message_pk"])
    op.create_index("ix_event_kind", "event", ["kind"])
    op.create_table(
        "census_change",
        sa.Column("event_pk", PK, sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("occurred_at", INSTANT, nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.Integer(), nullable=True),
    )
    op.create_index("ix_census_change_unit_time", "census_change", ["unit", "occurred_at"])
    op.create_table(
        "quarantine",
        sa.Column("id", PK, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("source_system", KEY, nullable=True),
        sa.Column("record_ref", KEY, nullable=True),
        sa.Column("location", sa.String(200), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        sa.Column("payload_sha256", sa.String(64), nullable=False),
        sa.Column("payload_size", sa.BigInteger(), nullable=False),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("received_at", INSTANT, nullable=False),
        sa.Column("last_received_at", INSTANT, nullable=False),
        sa.UniqueConstraint("source", "location", "payload_sha256", name="uq_quarantine_record"),
    )
    op.create_index("ix_quarantine_received", "quarantine", ["received_at"])
    op.create_table(
        "roster_entry",
        sa.Column("source_system", KEY, primary_key=True),
        sa.Column("source_id", KEY, primary_key=True),
        sa.Column("staff", KEY, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("shift", sa.String(32), nullable=False),
        sa.Column("unit", sa.String(64), nullable=True),
        sa.Column("skill", sa.String(64), nullable=True),
    )
    op.create_index("ix_roster_entry_day", "roster_entry", ["day"])
    op.create_table(
        "staff_leave",
        sa.Column("source_system", KEY, primary_key=True),
        sa.Column("source_id", KEY, primary_key=True),
        sa.Column("staff", KEY, nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
    )
    op.create_index("ix_staff_leave_days", "staff_leave", ["first_day", "last_day"])


def downgrade() -> None:
    for table in ("staff_leave", "roster_entry", "quarantine", "census_change", "event", "event_message"):
        op.drop_table(table)
