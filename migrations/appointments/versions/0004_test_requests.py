"""test requests: testing departments, public requests

Revision ID: appo_0004
Revises: appo_0003
Create Date: 2026-12-07 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "appo_0004"
down_revision: str | None = "appo_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("department") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=16), server_default="clinic", nullable=False)
        )
        batch.create_check_constraint(
            op.f("ck_department_kind_known"), "kind IN ('clinic', 'testing')"
        )


def downgrade() -> None:
    with op.batch_alter_table("department") as batch:
        batch.drop_constraint(op.f("ck_department_kind_known"), type_="check")
        batch.drop_column("kind")
