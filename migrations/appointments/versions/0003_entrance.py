"""entrance: health-code source on check-ins, walk-ins

Revision ID: appo_0003
Revises: appo_0002
Create Date: 2026-12-07 17:10:00
"""

from collections.abc import Sequence

revision: str = "appo_0003"
down_revision: str | None = "appo_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
