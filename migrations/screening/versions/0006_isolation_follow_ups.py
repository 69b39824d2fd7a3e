"""isolation and contact follow-up

Revision ID: scre_0006
Revises: scre_0005
Create Date: 2026-12-07 17:10:00
"""

from collections.abc import Sequence

revision: str = "scre_0006"
down_revision: str | None = "scre_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
