"""Reference data from batch files: imported files, units, staff records, shift times.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

KEY = sa.String(200)
INSTANT = sa.DateTime(timezone=True)
HASH = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "import_file",
        sa.Column("sha256", HASH, primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("contract", sa.String(64), nullable=False),
        sa.Column("imported_at", INSTANT, nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
    )
    op.create_table(
        "unit_record",
        sa.Column("unit_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("unit_type", sa.String(32), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("beds", sa.Integer(), nullable=False),
        sa.Column("row_hash", HASH, nullable=False),
    )
    op.create_table(
        "staff_record",
        sa.Column("staff_id", KEY, primary_key=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("updated_at", INSTANT, nullable=True),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("row_hash", HASH, nullable=False),
    )
    op.create_table(
        "shift_time",
        sa.Column("key", KEY, primary_key=True),
        sa.Column("staff", KEY, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("shift", sa.String(32), nullable=False),
        sa.Column("unit", sa.String(64), nullable=True),
        sa.Column("skill", sa.String(64), nullable=True),
        sa.Column("starts_at", INSTANT, nullable=True),
        sa.Column("ends_at", INSTANT, nullable=True),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("row_hash", HASH, nullable=False),
    )
    op.create_index("ix_shift_time_day", "shift_time", ["day"])


def downgrade() -> None:
    op.drop_index("ix_shift_time_day", "shift_time")
    for table in ("shift_time", "staff_record", "unit_record", "import_file"):
        op.drop_table(table)
