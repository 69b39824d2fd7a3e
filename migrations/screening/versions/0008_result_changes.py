"""the result change feed: results by time received

Revision ID: scre_0008
Revises: scre_0007
Create Date: 2026-12-07 17:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "scre_0008"
down_revision: str | None = "scre_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # GET /result-changes (and GET /results) read results in (recorded_at, id) order.
    op.create_index("ix_screening_result_recorded", "screening_result", ["recorded_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_screening_result_recorded", table_name="screening_result")
