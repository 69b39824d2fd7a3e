"""the result change feed

Revision ID: scre_0008
Revises: scre_0007
Create Date: 2026-12-07 17:10:00
"""

from collections.abc import Sequence

revision: str = "scre_0008"
down_revision: str | None = "scre_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
