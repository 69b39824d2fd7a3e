"""mass testing: result method and pool, specimens, pools and retests

Revision ID: scre_0005
Revises: scre_0004
Create Date: 2026-12-07 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.append_only import guard_sql, unguard_sql
from shared.db import UtcDateTime

revision: str = "scre_0005"
down_revision: str | None = "scre_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("pool_result",)
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("screening_result") as batch:
        batch.add_column(
            sa.Column("method", sa.String(length=12), server_default="individual", nullable=False)
        )
        batch.add_column(sa.Column("pool_id", sa.String(length=64), nullable=True))
    _create_pool()
    _create_specimen()
    _create_pool_result()
    _create_retest()
    for statement in guard_sql(op.get_bind().dialect.name, APPEND_ONLY):
        op.execute(statement)


def _create_pool() -> None:
    op.create_table(
        "pool",
        sa.Column("pool_id", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("result_external_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", name=op.f("pk_pool")),
    )


def _create_specimen() -> None:
    op.create_table(
        "specimen",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("specimen_id", sa.String(length=64), nullable=False),
        sa.Column("person_external_id", sa.String(length=64), nullable=False),
        sa.Column("test_type", sa.String(length=16), nullable=False),
        sa.Column("collected_at", UtcDateTime(), nullable=False),
        sa.Column("pool_id", sa.String(length=64), nullable=True),
        sa.Column("booking_code", sa.String(length=64), nullable=True),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_external_id"],
            ["person.external_id"],
            name=op.f("fk_specimen_person_external_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["pool.pool_id"], name=op.f("fk_specimen_pool_id_pool")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_specimen")),
        sa.UniqueConstraint("specimen_id", name=op.f("uq_specimen_specimen_id")),
    )
    op.create_index("ix_specimen_pool", "specimen", ["pool_id"])
    op.create_index("ix_specimen_booking_code", "specimen", ["booking_code"])
    op.create_index("ix_specimen_person", "specimen", ["person_external_id"])


def _create_pool_result() -> None:
    op.create_table(
        "pool_result",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("pool_id", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resulted_at", UtcDateTime(), nullable=True),
        sa.Column("performer", sa.String(length=200), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["pool.pool_id"], name=op.f("fk_pool_result_pool_id_pool")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pool_result")),
        sa.UniqueConstraint(
            "external_id", "version", name=op.f("uq_pool_result_external_id_version")
        ),
    )
    op.create_index("ix_pool_result_pool", "pool_result", ["pool_id"])


def _create_retest() -> None:
    op.create_table(
        "retest",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("specimen_id", sa.String(length=64), nullable=False),
        sa.Column("person_external_id", sa.String(length=64), nullable=False),
        sa.Column("pool_id", sa.String(length=64), nullable=False),
        sa.Column("pool_collected_at", UtcDateTime(), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("closed_by_result_external_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_external_id"],
            ["person.external_id"],
            name=op.f("fk_retest_person_external_id_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retest")),
        sa.UniqueConstraint("specimen_id", name=op.f("uq_retest_specimen_id")),
    )
    op.create_index("ix_retest_state", "retest", ["state", "id"])
    op.create_index("ix_retest_person_state", "retest", ["person_external_id", "state"])


def downgrade() -> None:
    for statement in unguard_sql(op.get_bind().dialect.name, APPEND_ONLY):
        op.execute(statement)
    op.drop_index("ix_retest_person_state", table_name="retest")
    op.drop_index("ix_retest_state", table_name="retest")
    op.drop_table("retest")
    op.drop_index("ix_pool_result_pool", table_name="pool_result")
    op.drop_table("pool_result")
    op.drop_index("ix_specimen_person", table_name="specimen")
    op.drop_index("ix_specimen_booking_code", table_name="specimen")
    op.drop_index("ix_specimen_pool", table_name="specimen")
    op.drop_table("specimen")
    op.drop_table("pool")
    with op.batch_alter_table("screening_result") as batch:
        batch.drop_column("pool_id")
        batch.drop_column("method")
