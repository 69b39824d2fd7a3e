"""audit trail: audit_log rows and the audit_seal hash chain over them

Revision ID: scre_0001
Revises:
Create Date: 2026-11-29 21:13:00
"""

from collections.abc import Sequence

from shared.audit.migration import create_audit_tables_v1, drop_audit_tables_v1

revision: str = "scre_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_audit_tables_v1()


def downgrade() -> None:
    drop_audit_tables_v1()
