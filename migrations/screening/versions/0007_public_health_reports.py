"""reports to public health: the outbox and its ledger

Revision ID: scre_0007
Revises: scre_0006
Create Date: 2026-12-07 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime

revision: str = "scre_0007"
down_revision: str | None = "scre_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_PENDING = sa.text("delivered_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "public_health_report",
        sa.Column("id", _ID, nullable=False),
        sa.Column("result_id", _ID, nullable=False),
        sa.Column("result_external_id", sa.String(length=64), nullable=False),
        sa.Column("result_version", sa.Integer(), nullable=False),
        sa.Column("person_external_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("delivered_at", UtcDateTime(), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["screening_result.id"],
            name=op.f("fk_public_health_report_result_id_screening_result"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_health_report")),
        sa.UniqueConstraint("result_id", name=op.f("uq_public_health_report_result_id")),
    )
    op.create_index(
        "ix_public_health_report_pending",
        "public_health_report",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=_PENDING,
        sqlite_where=_PENDING,
    )
    op.create_index(
        "ix_public_health_report_result",
        "public_health_report",
        ["result_external_id", "id"],
        unique=False,
    )
    op.create_index(
        "ix_public_health_report_received",
        "public_health_report",
        ["received_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_public_health_report_received", table_name="public_health_report")
    op.drop_index("ix_public_health_report_result", table_name="public_health_report")
    op.drop_index(
        "ix_public_health_report_pending",
        table_name="public_health_report",
        postgresql_where=_PENDING,
        sqlite_where=_PENDING,
    )
    op.drop_table("public_health_report")
