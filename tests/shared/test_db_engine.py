"""The engine's PostgreSQL connection settings hold for every transaction, not just the first."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from shared.db import make_engine


def test_postgres_connections_run_without_jit(database_url, backend):
    if backend != "postgresql":
        pytest.skip("JIT is a PostgreSQL setting")
    engine = make_engine(database_url("screening"), pool_size=1, max_overflow=0)
    try:
        for _ in range(2):  # the first transaction is rolled back; the setting must outlive it
            with engine.connect() as conn:
                assert conn.execute(text("SHOW jit")).scalar_one() == "off"
                conn.rollback()
    finally:
        engine.dispose()
