"""Every pooled connection in use: the request waits its turn, then answers a retryable 503."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def every_connection_held(client: Any) -> Iterator[None]:
    """The pool's only connection busy elsewhere: the engine's, and on PostgreSQL the hot
    paths' async pool's too (shared/async_db.py)."""
    held = client.app.state.engine.connect()
    db = client.app.state.db
    pools = [p for p in (db._reads, db._writes) if p is not None]  # none on SQLite
    taken = [(pool, client.portal.call(pool.getconn)) for pool in pools]
    try:
        yield
    finally:
        held.close()
        for pool, conn in taken:
            client.portal.call(pool.putconn, conn)


def test_no_free_connection_in_time_is_a_retryable_503_and_passes(make_client, idp):
    client = make_client(
        "screening",
        wardgate_db_pool_size=1,
        wardgate_db_max_overflow=0,
        wardgate_db_pool_timeout_s=0.3,
    )
    nurse = idp.headers("nurse")
    with every_connection_held(client):
        r = client.get("/persons/P1/screening-status", headers=nurse)

    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["retry-after"] == "1"
    assert r.json()["code"] == "database_busy"
    # The connection is back: the same request now gets its real answer.
    again = client.get("/persons/P1/screening-status", headers=nurse)
    assert again.status_code == 404 and again.json()["code"] == "unknown_person"


def test_startup_heap_is_frozen_while_serving_and_released_at_shutdown(make_client):
    import gc

    client = make_client("screening")
    assert gc.get_freeze_count() > 10_000  # routes, schemas, engine: out of full GC passes
    client.__exit__(None, None, None)
    assert gc.get_freeze_count() == 0
