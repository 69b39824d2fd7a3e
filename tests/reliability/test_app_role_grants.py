"""The database role the services use in compose cannot change history (PostgreSQL).

A fresh database per service gets the deployment's default privileges for `wardgate_app`
(the statements of deploy/postgres-init.sh, with this server's superuser as the migrating
role); the migrations then run, and their REVOKE applies. Acting as `wardgate_app`: rows of
audit_log and audit_seal (and the other append-only tables) can be read and inserted, but
UPDATE, DELETE and TRUNCATE are refused with *permission denied*, before any trigger is
reached (TRUNCATE fires no row triggers, so the privilege is the only guard against it).
Ordinary tables stay writable, so the refusal is specific.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from shared.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
ROLE = "wardgate_app"  # the name the migrations' REVOKE targets
GUARDED = {
    "appointments": ("audit_log", "audit_seal"),
    "screening": ("audit_log", "audit_seal", "screening_result"),
    "discharge": ("audit_log", "audit_seal", "discharge_check", "discharge", "discharge_evidence"),
}
WRITABLE = {"appointments": "department", "screening": "person", "discharge": "idempotency_key"}


def _deployment_grants(migrating_role: str) -> list[str]:
    """The per-database statements of deploy/postgres-init.sh, for `migrating_role`."""
    script = (ROOT / "deploy" / "postgres-init.sh").read_text()
    block = re.search(r"<<SQL\n(.*?)\nSQL", script, re.S)
    assert block, "deploy/postgres-init.sh grants the app role its privileges"
    sql = block.group(1).replace("wardgate_migrate", migrating_role)
    return [s.strip() for s in sql.split(";") if s.strip()]


@pytest.fixture
def server(backend) -> Iterator[str]:
    """The PostgreSQL server URL, with the `wardgate_app` role present (created if needed)."""
    if backend != "postgresql":
        pytest.skip("roles and grants are PostgreSQL's")
    url = make_url(os.environ["TEST_DATABASE_URL"]).set(drivername="postgresql")
    admin = url.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (ROLE,)).fetchone()
        if not exists:
            conn.execute(f"CREATE ROLE {ROLE} NOLOGIN")
    yield admin
    if not exists:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP ROLE IF EXISTS {ROLE}")


@pytest.fixture
def migrated(server: str) -> Iterator[dict[str, str]]:
    """A fresh database per service: deployment grants first, then the migrations."""
    urls: dict[str, str] = {}
    with psycopg.connect(server, autocommit=True) as conn:
        me = conn.execute("SELECT current_user").fetchone()[0]
        for service in GUARDED:
            name = f"wardgate_grants_{service}_{os.getpid()}"
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
            urls[service] = make_url(server).set(database=name).render_as_string(False)
    for service, dsn in urls.items():
        with psycopg.connect(dsn, autocommit=True) as conn:
            for statement in _deployment_grants(me):
                conn.execute(statement)
        sa_url = make_url(dsn).set(drivername="postgresql+psycopg").render_as_string(False)
        upgrade(service, sa_url)
    yield urls
    with psycopg.connect(server, autocommit=True) as conn:
        for dsn in urls.values():
            conn.execute(f'DROP DATABASE IF EXISTS "{make_url(dsn).database}" WITH (FORCE)')


def _as_app(dsn: str, statement: str) -> str | None:
    """Run `statement` as wardgate_app; None when allowed, else the SQLSTATE refusing it."""
    with psycopg.connect(dsn) as conn:
        conn.execute(f"SET ROLE {ROLE}")
        try:
            conn.execute(statement)
        except psycopg.Error as exc:
            return exc.sqlstate
        finally:
            conn.rollback()
    return None


_AUDIT_ROW = (
    "INSERT INTO audit_log (at, actor, roles, action, resource, outcome, client, request_id,"
    " detail) VALUES (now(), 'probe', '', 'probe', '/', 'ok', '', '', '{}')"
)
PERMISSION_DENIED = "42501"


@pytest.mark.parametrize("service", list(GUARDED))
def test_the_app_role_may_insert_but_never_update_delete_or_truncate_history(migrated, service):
    dsn = migrated[service]
    assert _as_app(dsn, _AUDIT_ROW) is None  # the trail grows
    assert _as_app(dsn, "SELECT count(*) FROM audit_seal") is None
    for table in GUARDED[service]:
        assert _as_app(dsn, f"SELECT * FROM {table} LIMIT 1") is None, table
        for statement in (
            f"UPDATE {table} SET {_a_column(dsn, table)} = {_a_column(dsn, table)}",
            f"DELETE FROM {table}",
            f"TRUNCATE {table} CASCADE",
        ):
            assert _as_app(dsn, statement) == PERMISSION_DENIED, statement
    writable = WRITABLE[service]
    column = _a_column(dsn, writable)
    assert _as_app(dsn, f"UPDATE {writable} SET {column} = {column}") is None


def _a_column(dsn: str, table: str) -> str:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s"
            " ORDER BY ordinal_position LIMIT 1",
            (table,),
        ).fetchone()
    assert row, table
    return str(row[0])
