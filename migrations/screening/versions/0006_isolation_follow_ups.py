"""isolation and contact follow-up

Revision ID: scre_0006
Revises: scre_0005
Create Date: 2026-12-07 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.append_only import guard_sql, unguard_sql
from shared.db import UtcDateTime

revision: str = "scre_0006"
down_revision: str | None = "scre_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("isolation_event", "follow_up_check")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _isolation_event() -> None:
    op.create_table(
        "isolation_event",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("person_external_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("since", UtcDateTime(), nullable=False),
        sa.Column("released_at", UtcDateTime(), nullable=True),
        sa.Column("result_external_id", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_external_id"],
            ["person.external_id"],
            name=op.f("fk_isolation_event_person_external_id_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_isolation_event")),
    )
    op.create_index("ix_isolation_event_person", "isolation_event", ["person_external_id", "id"])


def _follow_up() -> None:
    op.create_table(
        "follow_up",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("person_external_id", sa.String(length=64), nullable=False),
        sa.Column("index_external_id", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("opened_by", sa.String(length=200), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up")),
    )
    op.create_index(
        "ix_follow_up_one_active",
        "follow_up",
        ["person_external_id"],
        unique=True,
        postgresql_where=sa.text("state = 'active'"),
        sqlite_where=sa.text("state = 'active'"),
    )
    op.create_index("ix_follow_up_state", "follow_up", ["state", "id"])
    op.create_table(
        "follow_up_check",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("follow_up_id", BIG_ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("temperature_c", sa.Float(), nullable=False),
        sa.Column("symptoms", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["follow_up_id"],
            ["follow_up.id"],
            name=op.f("fk_follow_up_check_follow_up_id_follow_up"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_check")),
        sa.UniqueConstraint(
            "follow_up_id", "day", name=op.f("uq_follow_up_check_follow_up_id_day")
        ),
    )


def upgrade() -> None:
    _isolation_event()
    _follow_up()
    for statement in guard_sql(op.get_bind().dialect.name, APPEND_ONLY):
        op.execute(statement)


def downgrade() -> None:
    for statement in unguard_sql(op.get_bind().dialect.name, APPEND_ONLY):
        op.execute(statement)
    op.drop_table("follow_up_check")
    op.drop_index("ix_follow_up_state", table_name="follow_up")
    op.drop_index("ix_follow_up_one_active", table_name="follow_up")
    op.drop_table("follow_up")
    op.drop_index("ix_isolation_event_person", table_name="isolation_event")
    op.drop_table("isolation_event")
