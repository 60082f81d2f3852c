"""Embedded event stream on the store (log records, consumer offsets) and FHIR Bulk export checkpoints.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
KEY = sa.String(200)
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "stream_record",
        sa.Column("log_offset", PK, primary_key=True, autoincrement=False),
        sa.Column("key", KEY, nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "stream_offset",
        sa.Column("consumer_group", KEY, primary_key=True),
        sa.Column("next_offset", PK, nullable=False),
    )
    op.create_table(
        "fhir_export_checkpoint",
        sa.Column("name", KEY, primary_key=True),
        sa.Column("transaction_time", INSTANT, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("fhir_export_checkpoint")
    op.drop_table("stream_offset")
    op.drop_table("stream_record")
