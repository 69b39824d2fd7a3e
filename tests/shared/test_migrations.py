"""Migrations: idempotent `wardgate migrate`, real downgrades, and no drift from the models."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect

from shared.migrate import SERVICES, alembic_config, version_table
from tests.conftest import PG_URL
from tests.support.databases import drop_postgres_database, postgres_database


def _cli(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", *args],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("service", SERVICES)
def test_migrate_is_idempotent_and_reversible(service, tmp_path):
    url = f"sqlite:///{tmp_path}/{service}.db"
    for _ in range(2):
        done = _cli("migrate", service, url=url)
        assert done.returncode == 0, done.stderr
    models = importlib.import_module(f"services.{service}.models")
    engine = create_engine(url)
    tables = set(inspect(engine).get_table_names())
    assert set(models.metadata.tables) <= tables
    assert version_table(service) in tables
    cfg = alembic_config(service, url)
    command.downgrade(cfg, "base")
    assert set(inspect(engine).get_table_names()) <= {version_table(service)}
    command.upgrade(cfg, "head")
    assert set(models.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


@pytest.mark.skipif(not PG_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")
@pytest.mark.parametrize("service", SERVICES)
def test_models_and_migrations_do_not_drift_on_postgres(service):
    url = postgres_database(PG_URL, service, name=f"wardgate_drift_{service}_{os.getpid()}")
    try:
        command.check(alembic_config(service, url))  # raises when autogenerate finds drift
        command.downgrade(alembic_config(service, url), "base")
        command.upgrade(alembic_config(service, url), "head")
    finally:
        drop_postgres_database(url)
