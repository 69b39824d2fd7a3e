"""admission-end outbox: each discharge or exception, queued for delivery to screening

Revision ID: disc_0003
Revises: disc_0002
Create Date: 2026-12-07 14:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime


revision: str = "disc_0003"
down_revision: str | None = "disc_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = "delivered_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "admission_end_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "discharge_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("delivered_at", UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["discharge_id"],
            ["discharge.id"],
            name=op.f("fk_admission_end_outbox_discharge_id_discharge"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admission_end_outbox")),
        sa.UniqueConstraint("discharge_id", name=op.f("uq_admission_end_outbox_discharge_id")),
    )
    op.create_index(
        "ix_admission_end_outbox_pending",
        "admission_end_outbox",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text(PENDING),
        sqlite_where=sa.text(PENDING),
    )
    # Discharges stored before this revision ended admissions too: queue them once.
    op.execute(
        """
        INSERT INTO admission_end_outbox
            (discharge_id, created_at, attempts, next_attempt_at)
        SELECT id, created_at, 0, created_at FROM discharge
        WHERE outcome IN ('discharged', 'exception')
        """
    )


def downgrade() -> None:
    op.drop_index(
        "ix_admission_end_outbox_pending",
        table_name="admission_end_outbox",
        postgresql_where=sa.text(PENDING),
        sqlite_where=sa.text(PENDING),
    )
    op.drop_table("admission_end_outbox")
