"""discharge reviews and the result feed cursor

Revision ID: disc_0004
Revises: disc_0003
Create Date: 2026-12-07 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime

revision: str = "disc_0004"
down_revision: str | None = "disc_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "result_feed_cursor",
        sa.Column("feed", sa.String(length=32), nullable=False),
        sa.Column("high_water", UtcDateTime(), nullable=True),
        sa.Column("settled_until", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("feed", name=op.f("pk_result_feed_cursor")),
    )
    op.create_table(
        "discharge_review",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("discharge_id", BIG_ID, nullable=False),
        sa.Column("patient_external_id", sa.String(length=64), nullable=False),
        sa.Column("result_external_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("result_recorded_at", UtcDateTime(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("resolution", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "change IN ('corrected', 'voided', 'late_positive')",
            name=op.f("ck_discharge_review_change_known"),
        ),
        sa.CheckConstraint(
            "resolution IS NULL OR resolution IN "
            "('no_action', 'patient_recalled', 'public_health_notified')",
            name=op.f("ck_discharge_review_resolution_known"),
        ),
        sa.CheckConstraint(
            "state IN ('open', 'closed')", name=op.f("ck_discharge_review_state_known")
        ),
        sa.ForeignKeyConstraint(
            ["discharge_id"],
            ["discharge.id"],
            name=op.f("fk_discharge_review_discharge_id_discharge"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discharge_review")),
        sa.UniqueConstraint(
            "discharge_id",
            "result_external_id",
            "version",
            name=op.f("uq_discharge_review_discharge_id_result_external_id_version"),
        ),
    )
    op.create_index("ix_discharge_review_state", "discharge_review", ["state", "id"])
    # Which discharges relied on a result: looked up for each correction or void.
    op.create_index("ix_discharge_evidence_result", "discharge_evidence", ["result_external_id"])


def downgrade() -> None:
    op.drop_index("ix_discharge_evidence_result", table_name="discharge_evidence")
    op.drop_index("ix_discharge_review_state", table_name="discharge_review")
    op.drop_table("discharge_review")
    op.drop_table("result_feed_cursor")
