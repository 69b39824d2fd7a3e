"""reports to public health: the outbox and its ledger

Revision ID: scre_0007
Revises: scre_0006
Create Date: 2026-12-07 17:10:00
"""

from collections.abc import Sequence

revision: str = "scre_0007"
down_revision: str | None = "scre_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
