"""Decision service: recommendations, decisions, approved schedules, unit modes, outbox, audit.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
KEY = sa.String(200)
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "recommendation",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("produced_by", sa.String(32), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
    )
    op.create_index("ix_recommendation_unit_created", "recommendation", ["unit", "created_at"])
    op.create_table(
        "decision",
        sa.Column("seq", PK, primary_key=True, autoincrement=True),
        sa.Column("recommendation_id", sa.String(64), sa.ForeignKey("recommendation.id"), nullable=False),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("user_id", KEY, nullable=False),
        sa.Column("role", KEY, nullable=False),
        sa.Column("decided_at", INSTANT, nullable=False),
        sa.Column("reason_code", sa.String(64), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
    )
    op.create_index("ix_decision_recommendation", "decision", ["recommendation_id"])
    op.create_index("ix_decision_unit", "decision", ["unit"])
    op.create_table(
        "approved_schedule",
        sa.Column("unit", sa.String(64), primary_key=True),
        sa.Column("recommendation_id", sa.String(64), nullable=False),
        sa.Column("approved_at", INSTANT, nullable=False),
        sa.Column("approved_by", KEY, nullable=False),
        sa.Column("assignments", sa.JSON(), nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=True),
    )
    op.create_table(
        "unit_mode",
        sa.Column("unit", sa.String(64), primary_key=True),
        sa.Column("mode", sa.String(16), nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("key", sa.String(400), primary_key=True),
        sa.Column("recommendation_id", sa.String(64), nullable=False),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
    )
    op.create_index("ix_outbox_state_created", "outbox", ["state", "created_at"])
    op.create_table(
        "audit_entry",
        sa.Column("seq", PK, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", KEY, nullable=False),
        sa.Column("scope", KEY, nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_state_created", "outbox")
    op.drop_index("ix_decision_unit", "decision")
    op.drop_index("ix_decision_recommendation", "decision")
    op.drop_index("ix_recommendation_unit_created", "recommendation")
    for table in ("audit_entry", "outbox", "unit_mode", "approved_schedule", "decision", "recommendation"):
        op.drop_table(table)
