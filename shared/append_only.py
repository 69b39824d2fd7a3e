"""Append-only tables: triggers that refuse UPDATE and DELETE, for migrations to install.

Clinical history (results, discharge decisions) and the audit trail are inserted, never
changed. On PostgreSQL one trigger function serves every guarded table and the services'
`wardgate_app` role (docker-compose) also loses UPDATE/DELETE/TRUNCATE on them.
"""

from __future__ import annotations

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
DROP_PG_FUNCTION = "DROP FUNCTION IF EXISTS wardgate_append_only()"


def guard_sql(dialect: str, tables: tuple[str, ...]) -> list[str]:
    """DDL that makes `tables` refuse UPDATE and DELETE."""
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


def unguard_sql(dialect: str, tables: tuple[str, ...]) -> list[str]:
    """DDL that removes the triggers again (the shared function stays for other tables)."""
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}" for t in tables]
    return [f"DROP TRIGGER IF EXISTS {t}_no_{op}" for t in tables for op in ("update", "delete")]
