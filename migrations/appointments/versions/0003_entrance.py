"""entrance: health-code source on check-ins, walk-ins

Revision ID: appo_0003
Revises: appo_0002
Create Date: 2026-12-07 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "appo_0003"
down_revision: str | None = "appo_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Attempts before this revision were all typed by the nurse: `manual`. A scanned code that
    # fails verification gives no colour, so `health_code` may now be empty.
    with op.batch_alter_table("check_in") as batch:
        batch.add_column(
            sa.Column(
                "health_code_source",
                sa.String(length=16),
                nullable=False,
                server_default="manual",
            )
        )
        batch.alter_column("health_code", existing_type=sa.String(length=10), nullable=True)


def downgrade() -> None:
    # Attempts refused for an invalid code kept no colour; they read as `red` afterwards
    # (refused attempts never admitted anyone, and red is the safe reading).
    op.execute("UPDATE check_in SET health_code = 'red' WHERE health_code IS NULL")
    with op.batch_alter_table("check_in") as batch:
        batch.alter_column("health_code", existing_type=sa.String(length=10), nullable=False)
        batch.drop_column("health_code_source")
