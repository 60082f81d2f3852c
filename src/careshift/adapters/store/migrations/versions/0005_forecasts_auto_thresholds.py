"""Stored forecast runs (served by the forecasts API) and per-unit auto-mode thresholds.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

KEY = sa.String(200)
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "forecast_run",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("generated_at", INSTANT, nullable=False),
        sa.Column("model_version", KEY, nullable=False),
        sa.Column("feature_set", KEY, nullable=False),
        sa.Column("quality_verdict", sa.String(16), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
    )
    op.create_index("ix_forecast_run_unit_generated", "forecast_run", ["unit", "generated_at"])
    op.create_table(
        "unit_auto_threshold",
        sa.Column("unit", sa.String(64), primary_key=True),
        sa.Column("max_risk", sa.Float(), nullable=False),
        sa.Column("min_confidence", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("unit_auto_threshold")
    op.drop_index("ix_forecast_run_unit_generated", table_name="forecast_run")
    op.drop_table("forecast_run")
