"""The hot paths' async transactions behave like the session's, on both databases.

A transaction's writes are there after it ends and gone when its block raises; timestamps come
back in UTC and JSON as Python values on SQLite and PostgreSQL alike; a read sees what was
committed and keeps the audit rows it writes; a pool with no free connection answers 503
`database_busy`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, bindparam, select
from sqlalchemy.engine import Engine

from shared.async_db import AsyncDatabase, Query
from shared.db import UtcDateTime, make_engine
from shared.errors import ServiceUnavailable

metadata = MetaData()
ward_note = Table(
    "async_db_note",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ward", String(20), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("doc", JSON),
)
INSERT = Query(ward_note.insert().returning(ward_note.c.id))
APPEND = Query(ward_note.insert())
OF_WARD = Query(
    select(ward_note.c.id, ward_note.c.at, ward_note.c.doc)
    .where(ward_note.c.ward == bindparam("ward"))
    .order_by(ward_note.c.id)
)
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
URLS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(params=URLS)
def engine(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path}/notes.db" if request.param == "sqlite" else PG_URL
    made = make_engine(url)
    metadata.drop_all(made)
    metadata.create_all(made)
    yield made
    metadata.drop_all(made)
    made.dispose()


def _run(engine: Engine, work: object, pool_size: int = 4) -> object:
    async def main() -> object:
        db = AsyncDatabase(engine, pool_size=pool_size, pool_timeout_s=0.5)
        await db.open()
        try:
            return await work(db)  # type: ignore[operator]
        finally:
            await db.close()

    # A thread of its own: the test session's main thread may hold a running loop by now.
    with ThreadPoolExecutor(1) as worker:
        return worker.submit(asyncio.run, main()).result()


def test_a_transaction_keeps_its_writes_and_a_raising_one_keeps_none(engine: Engine) -> None:
    at = datetime(2026, 12, 7, 8, 30, tzinfo=timezone(timedelta(hours=8)))

    async def work(db: AsyncDatabase) -> object:
        async with db.transaction() as tx:
            first = await tx.rows(INSERT, {"ward": "W3", "at": at, "doc": {"beds": [1, 2]}})
            await tx.run(APPEND, {"ward": "W3", "at": at, "doc": None})
        with pytest.raises(RuntimeError):
            async with db.transaction() as tx:
                await tx.run(APPEND, {"ward": "W3", "at": at, "doc": {"lost": True}})
                raise RuntimeError("the use case refused")
        async with db.transaction(read=True) as tx:
            return first, await tx.rows(OF_WARD, {"ward": "W3"})

    first, rows = _run(engine, work)  # type: ignore[misc]
    assert first == [(1,)]
    assert rows == [(1, at.astimezone(UTC), {"beds": [1, 2]}), (2, at.astimezone(UTC), None)]
    assert rows[0][1].tzinfo is not None and rows[0][1].utcoffset() == timedelta(0)


def test_a_read_sees_what_was_committed_and_keeps_its_audit_rows(engine: Engine) -> None:
    at = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)

    async def work(db: AsyncDatabase) -> object:
        async with db.transaction() as tx:
            for ward in ("W1", "W2", "W2"):
                await tx.run(APPEND, {"ward": ward, "at": at, "doc": ward})
        async with db.transaction(read=True) as tx:
            seen = [await tx.rows(OF_WARD, {"ward": w}) for w in ("W2", "none", "W1")]
            await tx.run(APPEND, {"ward": "audit", "at": at, "doc": None})  # a read's audit row
        async with db.transaction(read=True) as tx:
            return seen, await tx.rows(OF_WARD, {"ward": "audit"})

    seen, audit_rows = _run(engine, work)  # type: ignore[misc]
    assert seen == [[(2, at, "W2"), (3, at, "W2")], [], [(1, at, "W1")]]
    assert audit_rows == [(4, at, None)]


@pytest.mark.skipif(not PG_URL, reason="a connection pool of its own only on PostgreSQL")
def test_a_pool_with_no_free_connection_answers_database_busy() -> None:
    engine = make_engine(PG_URL)

    async def work(db: AsyncDatabase) -> object:
        held = asyncio.Event()
        release = asyncio.Event()

        async def hold() -> None:
            async with db.transaction(read=True):
                held.set()
                await release.wait()

        holder = asyncio.create_task(hold())
        await held.wait()
        try:
            with pytest.raises(ServiceUnavailable) as refused:
                async with db.transaction(read=True):
                    pass
            return refused.value.code
        finally:
            release.set()
            await holder

    try:
        assert _run(engine, work, pool_size=1) == "database_busy"
    finally:
        engine.dispose()


def test_a_read_notes_its_row_only_when_it_found_something(engine: Engine) -> None:
    at = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    note = {"ward": "read-of-W5", "at": at, "doc": {"by": "nurse-1"}}

    async def work(db: AsyncDatabase) -> object:
        async with db.transaction() as tx:
            await tx.run(APPEND, {"ward": "W5", "at": at, "doc": None})
        async with db.transaction(read=True) as tx:
            found = await tx.rows_noted(OF_WARD, {"ward": "W5"}, ward_note, note)
            missing = await tx.rows_noted(OF_WARD, {"ward": "W9"}, ward_note, note)
        async with db.transaction(read=True) as tx:
            return found, missing, await tx.rows(OF_WARD, {"ward": "read-of-W5"})

    found, missing, notes = _run(engine, work)  # type: ignore[misc]
    assert found == [(1, at, None)] and missing == []
    assert notes == [(2, at, {"by": "nurse-1"})]  # one note: the read that found something
