"""discharge checks, discharge attempts with their evidence, idempotency keys

Checks, attempts and evidence rows are append-only: triggers refuse UPDATE and DELETE.

Revision ID: disc_0002
Revises: disc_0001
Create Date: 2026-11-29 21:20:06.732939
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.append_only import guard_sql, unguard_sql

from shared.db import UtcDateTime


revision: str = "disc_0002"
down_revision: str | None = "disc_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


APPEND_ONLY = ("discharge_check", "discharge", "discharge_evidence")
FINAL = "outcome IN ('discharged', 'exception')"


def _install_guards() -> None:
    for statement in guard_sql(op.get_bind().dialect.name, APPEND_ONLY):
        op.execute(statement)


def _drop_guards() -> None:
    for statement in unguard_sql(op.get_bind().dialect.name, APPEND_ONLY):
        op.execute(statement)


def upgrade() -> None:
    op.create_table(
        "discharge",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("patient_external_id", sa.String(length=64), nullable=False),
        sa.Column("admission_key", sa.String(length=64), nullable=False),
        sa.Column("department", sa.String(length=200), nullable=True),
        sa.Column("ward", sa.String(length=200), nullable=True),
        sa.Column("disposition", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("rule_version", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("hospital_day", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "disposition IN ('home', 'transfer', 'designated_hospital', 'death')",
            name=op.f("ck_discharge_disposition_known"),
        ),
        sa.CheckConstraint(
            "outcome IN ('discharged', 'blocked', 'exception')",
            name=op.f("ck_discharge_outcome_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discharge")),
    )
    op.create_index(op.f("ix_discharge_created_at"), "discharge", ["created_at"], unique=False)
    op.create_index(op.f("ix_discharge_department"), "discharge", ["department"], unique=False)
    op.create_index(op.f("ix_discharge_hospital_day"), "discharge", ["hospital_day"], unique=False)
    op.create_index(op.f("ix_discharge_outcome"), "discharge", ["outcome"], unique=False)
    op.create_index(
        op.f("ix_discharge_patient_external_id"), "discharge", ["patient_external_id"], unique=False
    )
    op.create_index(
        "uq_discharge_one_per_admission",
        "discharge",
        ["patient_external_id", "admission_key"],
        unique=True,
        postgresql_where=sa.text(FINAL),
        sqlite_where=sa.text(FINAL),
    )
    op.create_table(
        "discharge_check",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("patient_external_id", sa.String(length=64), nullable=False),
        sa.Column("department", sa.String(length=200), nullable=True),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("rule_version", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("checked_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discharge_check")),
    )
    op.create_index(
        op.f("ix_discharge_check_checked_at"), "discharge_check", ["checked_at"], unique=False
    )
    op.create_index(
        op.f("ix_discharge_check_patient_external_id"),
        "discharge_check",
        ["patient_external_id"],
        unique=False,
    )
    op.create_table(
        "idempotency_key",
        sa.Column("caller", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("caller", "key", name=op.f("pk_idempotency_key")),
    )
    op.create_index(
        op.f("ix_idempotency_key_created_at"), "idempotency_key", ["created_at"], unique=False
    )
    op.create_table(
        "discharge_evidence",
        sa.Column(
            "discharge_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("result_external_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("test_type", sa.String(length=32), nullable=False),
        sa.Column("result", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("specimen_collected_at", UtcDateTime(), nullable=False),
        sa.Column("used_as", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["discharge_id"],
            ["discharge.id"],
            name=op.f("fk_discharge_evidence_discharge_id_discharge"),
        ),
        sa.PrimaryKeyConstraint("discharge_id", "position", name=op.f("pk_discharge_evidence")),
    )
    _install_guards()


def downgrade() -> None:
    _drop_guards()
    op.drop_table("discharge_evidence")
    op.drop_index(op.f("ix_idempotency_key_created_at"), table_name="idempotency_key")
    op.drop_table("idempotency_key")
    op.drop_index(op.f("ix_discharge_check_patient_external_id"), table_name="discharge_check")
    op.drop_index(op.f("ix_discharge_check_checked_at"), table_name="discharge_check")
    op.drop_table("discharge_check")
    op.drop_index(
        "uq_discharge_one_per_admission",
        table_name="discharge",
        postgresql_where=sa.text(FINAL),
        sqlite_where=sa.text(FINAL),
    )
    op.drop_index(op.f("ix_discharge_patient_external_id"), table_name="discharge")
    op.drop_index(op.f("ix_discharge_outcome"), table_name="discharge")
    op.drop_index(op.f("ix_discharge_hospital_day"), table_name="discharge")
    op.drop_index(op.f("ix_discharge_department"), table_name="discharge")
    op.drop_index(op.f("ix_discharge_created_at"), table_name="discharge")
    op.drop_table("discharge")
