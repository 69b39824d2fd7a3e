"""Test databases: a migrated SQLite template copied per test, or PostgreSQL truncated per test."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import psycopg
from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.engine import make_url

from shared.migrate import upgrade


def sqlite_template(directory: Path, service: str) -> Path:
    """A SQLite file migrated to head, to copy for each test."""
    path = directory / f"template-{service}.db"
    if not path.exists():
        upgrade(service, f"sqlite:///{path}")
    return path


def fresh_sqlite(template: Path, directory: Path, service: str) -> str:
    """A copy of the template: a clean, migrated database for one test."""
    target = directory / f"{service}.db"
    shutil.copy(template, target)
    return f"sqlite:///{target}"


def postgres_database(server_url: str, service: str, name: str | None = None) -> str:
    """A clean PostgreSQL database for the service, created and migrated once a run."""
    url = make_url(server_url)
    # One set of databases per test run (pid), so parallel runs never share or drop them.
    name = name or f"wardgate_test_{service}_{os.getpid()}"
    dsn = url.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    service_url = url.set(database=name).render_as_string(hide_password=False)
    upgrade(service, service_url)
    return service_url


def truncate_all(url: str, metadata: MetaData) -> None:
    """Empty every table of a service (TRUNCATE skips the audit append-only trigger)."""
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


def drop_postgres_database(url: str) -> None:
    """Drop a database made by `postgres_database` (end of the run)."""
    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
