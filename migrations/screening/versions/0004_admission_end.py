"""admission ends: how each admission ended, as the discharge service sent it (append-only)

Revision ID: scre_0004
Revises: scre_0003
Create Date: 2026-12-07 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.append_only import guard_sql, unguard_sql
from shared.db import UtcDateTime


revision: str = "scre_0004"
down_revision: str | None = "scre_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("admission_end",)


def upgrade() -> None:
    op.create_table(
        "admission_end",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "discharge_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("person_external_id", sa.String(length=64), nullable=False),
        sa.Column("admitted_at", UtcDateTime(), nullable=True),
        sa.Column("discharged_at", UtcDateTime(), nullable=False),
        sa.Column("disposition", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_external_id"],
            ["person.external_id"],
            name=op.f("fk_admission_end_person_external_id_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admission_end")),
        sa.UniqueConstraint("discharge_id", name=op.f("uq_admission_end_discharge_id")),
    )
    op.create_index(
        "ix_admission_end_person_admission",
        "admission_end",
        ["person_external_id", "admitted_at"],
        unique=True,
    )
    for statement in guard_sql(op.get_bind().dialect.name, APPEND_ONLY):
        op.execute(statement)


def downgrade() -> None:
    for statement in unguard_sql(op.get_bind().dialect.name, APPEND_ONLY):
        op.execute(statement)
    op.drop_index("ix_admission_end_person_admission", table_name="admission_end")
    op.drop_table("admission_end")
