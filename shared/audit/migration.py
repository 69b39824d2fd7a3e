"""The audit tables' schema steps, shared by each service's first migration.

A migration must never change once released: add a new revision (and new functions here)
instead of editing these.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shared.append_only import DROP_PG_FUNCTION, guard_sql, unguard_sql
from shared.audit.table import GUARDED_TABLES
from shared.db import UtcDateTime

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def create_audit_tables_v1() -> None:
    """Create audit_log and audit_seal with their append-only guard (revision 0001)."""
    op.create_table(
        "audit_log",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.String(length=500), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("resource", sa.String(length=300), nullable=False),
        sa.Column("outcome", sa.String(length=50), nullable=False),
        sa.Column("client", sa.String(length=100), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_table(
        "audit_seal",
        sa.Column("seq", _ID, autoincrement=False, nullable=False),
        sa.Column("audit_id", _ID, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_seal")),
        sa.UniqueConstraint("audit_id", name=op.f("uq_audit_seal_audit_id")),
    )
    for column in ("action", "actor", "at"):
        op.create_index(op.f(f"ix_audit_log_{column}"), "audit_log", [column], unique=False)
    for statement in guard_sql(op.get_bind().dialect.name, GUARDED_TABLES):
        op.execute(statement)


def drop_audit_tables_v1() -> None:
    """Undo `create_audit_tables_v1`."""
    dialect = op.get_bind().dialect.name
    for statement in unguard_sql(dialect, GUARDED_TABLES):
        op.execute(statement)
    if dialect == "postgresql":
        op.execute(DROP_PG_FUNCTION)
    for column in ("at", "actor", "action"):
        op.drop_index(op.f(f"ix_audit_log_{column}"), table_name="audit_log")
    op.drop_table("audit_seal")
    op.drop_table("audit_log")
