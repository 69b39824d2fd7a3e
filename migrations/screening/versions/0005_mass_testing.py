"""mass testing: result method and pool, specimens, pools and retests

Revision ID: scre_0005
Revises: scre_0004
Create Date: 2026-12-07 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "scre_0005"
down_revision: str | None = "scre_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("screening_result") as batch:
        batch.add_column(
            sa.Column(
                "method", sa.String(length=12), server_default="individual", nullable=False
            )
        )
        batch.add_column(sa.Column("pool_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("screening_result") as batch:
        batch.drop_column("pool_id")
        batch.drop_column("method")
