"""test requests: testing departments, public requests

Revision ID: appo_0004
Revises: appo_0003
Create Date: 2026-12-07 17:10:00
"""

from collections.abc import Sequence

revision: str = "appo_0004"
down_revision: str | None = "appo_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
