"""The audit_log table, defined into each service's own metadata."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text

from shared.db import UtcDateTime


def define_audit_table(metadata: MetaData) -> Table:
    """Add `audit_log` to a service's metadata and return it."""
    return Table(
        "audit_log",
        metadata,
        Column(
            "id",
            BigInteger().with_variant(Integer(), "sqlite"),
            primary_key=True,
            autoincrement=False,
        ),
        Column("at", UtcDateTime(), nullable=False, index=True),
        Column("actor", String(200), nullable=False, index=True),
        Column("roles", String(500), nullable=False),
        Column("action", String(100), nullable=False, index=True),
        Column("resource", String(300), nullable=False),
        Column("outcome", String(50), nullable=False),
        Column("client", String(100), nullable=False),
        Column("request_id", String(64), nullable=False),
        Column("detail", Text, nullable=False),
        Column("hash", String(64), nullable=False),
    )


_PG_GUARD = """
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wardgate_app') THEN
    REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM wardgate_app;
  END IF;
END $$;
"""
_SQLITE_GUARD = [
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]


def append_only_guard_sql(dialect: str) -> list[str]:
    """DDL that makes audit_log refuse UPDATE and DELETE (for migrations)."""
    return [_PG_GUARD] if dialect == "postgresql" else list(_SQLITE_GUARD)


def drop_append_only_guard_sql(dialect: str) -> list[str]:
    """DDL that removes the guard again (downgrade)."""
    if dialect == "postgresql":
        return [
            "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
            "DROP FUNCTION IF EXISTS audit_log_append_only()",
        ]
    return [
        "DROP TRIGGER IF EXISTS audit_log_no_update",
        "DROP TRIGGER IF EXISTS audit_log_no_delete",
    ]
