"""The audit tables, defined into each service's own metadata.

`audit_log` holds one immutable row per audited event, inserted in the request's own
transaction. `audit_seal` is the hash chain over those rows, appended by the sealer
(shared/audit/chain.py) in commit order, so requests never queue on one chain lock.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text

from shared.db import UtcDateTime

_ID = BigInteger().with_variant(Integer(), "sqlite")
GUARDED_TABLES = ("audit_log", "audit_seal")


def define_audit_table(metadata: MetaData) -> Table:
    """Add `audit_log` and `audit_seal` to a service's metadata; returns `audit_log`."""
    Table(
        "audit_seal",
        metadata,
        Column("seq", _ID, primary_key=True, autoincrement=False),
        Column("audit_id", _ID, nullable=False, unique=True),
        Column("hash", String(64), nullable=False),
    )
    return Table(
        "audit_log",
        metadata,
        Column("id", _ID, primary_key=True, autoincrement=True),
        Column("at", UtcDateTime(), nullable=False, index=True),
        Column("actor", String(200), nullable=False, index=True),
        Column("roles", String(500), nullable=False),
        Column("action", String(100), nullable=False, index=True),
        Column("resource", String(300), nullable=False),
        Column("outcome", String(50), nullable=False),
        Column("client", String(100), nullable=False),
        Column("request_id", String(64), nullable=False),
        Column("detail", Text, nullable=False),
    )


def seal_table(audit_table: Table) -> Table:
    """The `audit_seal` table that chains `audit_table`."""
    return audit_table.metadata.tables["audit_seal"]


_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION wardgate_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP;
END $$ LANGUAGE plpgsql
"""
_PG_REVOKE = """
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wardgate_app') THEN
    REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM wardgate_app;
  END IF;
END $$
"""


def append_only_guard_sql(dialect: str, tables: tuple[str, ...] = GUARDED_TABLES) -> list[str]:
    """DDL that makes `tables` refuse UPDATE and DELETE (for migrations)."""
    if dialect == "postgresql":
        out = [_PG_FUNCTION]
        for table in tables:
            out += [
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION wardgate_append_only()",
                _PG_REVOKE.format(table=table),
            ]
        return out
    return [
        f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        for table in tables
        for op in ("UPDATE", "DELETE")
    ]


def drop_append_only_guard_sql(dialect: str, tables: tuple[str, ...] = GUARDED_TABLES) -> list[str]:
    """DDL that removes the guard again (downgrade)."""
    if dialect == "postgresql":
        drops = [f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}" for t in tables]
        return [*drops, "DROP FUNCTION IF EXISTS wardgate_append_only()"]
    return [f"DROP TRIGGER IF EXISTS {t}_no_{op}" for t in tables for op in ("update", "delete")]
