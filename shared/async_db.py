"""Async transactions for the hot paths, with no thread-pool hop and no unit of work.

On PostgreSQL psycopg async pools run each statement as psycopg's driver does: a write opens
its transaction with its first statement and commits at the end; a read (whose only writes
are its audit rows) runs each statement as a transaction of its own, with no BEGIN or COMMIT.
On SQLite (the embedded default) the service's own engine runs each statement in a worker
thread, with its BEGIN IMMEDIATE, pragmas and type handling; slower, but the same use case.

Statements are SQLAlchemy clauses (`Query`), compiled once per dialect; rows come back as
tuples in the statement's column order. Timestamps are UTC-aware on both databases: the
pools' sessions run in UTC, and SQLite's columns are `shared.db.UtcDateTime`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

import anyio
import psycopg
from psycopg import AsyncConnection
from psycopg.pq import TransactionStatus
from psycopg.types.json import Json
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from sqlalchemy import (
    JSON,
    Connection,
    Engine,
    Select,
    Table,
    bindparam,
    exists,
    literal_column,
    select,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement

from shared.errors import ServiceUnavailable

log = logging.getLogger("wardgate.db")
Params = Mapping[str, Any]


@dataclass(eq=False)  # compared and hashed by identity: statements are built once
class Query:
    """One statement, compiled once per set of parameter names (an INSERT writes the columns
    it is given): the SQL text and the parameters that take JSON.

    Write it with SQLAlchemy Core on the tables (or `text(...).columns(...)`): on SQLite the
    column types turn stored text back into timestamps and JSON as they do for the session.
    """

    clause: ClauseElement
    _compiled: dict[frozenset[str], tuple[str, frozenset[str]]] = field(
        default_factory=dict, repr=False
    )
    _with_row: dict[str, Query] = field(default_factory=dict, repr=False)

    def for_postgres(self, dialect: Dialect, names: frozenset[str]) -> tuple[str, frozenset[str]]:
        """The SQL with %(name)s parameters, and the parameters that take JSON."""
        hit = self._compiled.get(names)
        if hit is None:
            compiled: Any = self.clause.compile(dialect=dialect, column_keys=sorted(names))
            json_params = frozenset(
                name for name, bind in compiled.binds.items() if isinstance(bind.type, JSON)
            )
            hit = (str(compiled), json_params)
            self._compiled[names] = hit
        return hit

    def with_row_when_found(self, table: Table) -> Query:
        """This SELECT, inserting one `table` row (parameters `row_<column>`) when it finds
        anything, in one statement (PostgreSQL: a data-modifying WITH)."""
        hit = self._with_row.get(table.name)
        if hit is None:
            found = cast(Select[Any], self.clause).cte("found")
            columns = [c for c in table.c if not c.primary_key]
            values = select(*(bindparam(f"row_{c.name}", type_=c.type) for c in columns)).where(
                exists(select(literal_column("1")).select_from(found))
            )
            added = table.insert().from_select([c.name for c in columns], values).cte("added")
            hit = Query(select(found).add_cte(added))
            self._with_row[table.name] = hit
        return hit


class Transaction(Protocol):
    """What a use case does with the database inside one transaction."""

    postgres: bool  # PostgreSQL (a data-modifying WITH is there to use), else SQLite

    async def rows(self, query: Query, params: Params) -> list[tuple[Any, ...]]:
        """Every row the statement answers."""
        ...

    async def run(self, query: Query, params: Params) -> None:
        """A statement whose rows are not needed (an insert)."""
        ...

    async def rows_noted(
        self, query: Query, params: Params, table: Table, row: Params
    ) -> list[tuple[Any, ...]]:
        """The rows of a read, and `row` inserted into `table` when there are any (a read's
        audit row): one statement and one round trip on PostgreSQL."""
        ...


class _PostgresTransaction:
    postgres = True

    def __init__(self, conn: AsyncConnection[Any], dialect: Dialect) -> None:
        self._conn = conn
        self._dialect = dialect

    def _bound(self, query: Query, params: Params) -> tuple[str, Params]:
        sql, json_params = query.for_postgres(self._dialect, frozenset(params))
        if json_params:
            params = {k: Json(v) if k in json_params else v for k, v in params.items()}
        return sql, params

    async def rows(self, query: Query, params: Params) -> list[tuple[Any, ...]]:
        sql, bound = self._bound(query, params)
        cursor = await self._conn.execute(sql, bound)
        rows = await cursor.fetchall()
        if self._conn.info.timezone.utcoffset(None) != ZERO:  # the pool's TimeZone ignored
            return [_in_utc(r) for r in rows]  # (a pooler dropping startup options)
        return rows

    async def run(self, query: Query, params: Params) -> None:
        sql, bound = self._bound(query, params)
        await self._conn.execute(sql, bound)

    async def rows_noted(
        self, query: Query, params: Params, table: Table, row: Params
    ) -> list[tuple[Any, ...]]:
        both = {**params, **{f"row_{k}": v for k, v in row.items()}}
        return await self.rows(query.with_row_when_found(table), both)


ZERO = timedelta(0)


def _in_utc(row: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(v.astimezone(UTC) if isinstance(v, datetime) else v for v in row)


class _SqliteTransaction:
    postgres = False

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def rows(self, query: Query, params: Params) -> list[tuple[Any, ...]]:
        return await anyio.to_thread.run_sync(self._rows, query.clause, params)

    async def run(self, query: Query, params: Params) -> None:
        await anyio.to_thread.run_sync(self._rows, query.clause, params)

    async def rows_noted(
        self, query: Query, params: Params, table: Table, row: Params
    ) -> list[tuple[Any, ...]]:
        found = await self.rows(query, params)
        if found:
            await anyio.to_thread.run_sync(self._rows, table.insert(), row)
        return found

    def _rows(self, clause: Any, params: Params) -> list[tuple[Any, ...]]:
        result = self._conn.execute(clause, dict(params))
        return [tuple(r) for r in result.all()] if result.returns_rows else []


class AsyncDatabase:
    """The hot paths' database: psycopg async pools on PostgreSQL, the engine on SQLite.

    Two pools on PostgreSQL: one for writes, one for reads whose only writes are audit rows
    of reads. A read runs each statement as a transaction of its own (no BEGIN and COMMIT
    round trips: a read is one statement, its snapshot consistent), and its audit rows commit
    without waiting for the WAL flush (`synchronous_commit=off`, as `shared.db.read_bind`
    does): a crash of PostgreSQL may lose the last <1 s of such rows, never a clinical write
    or a write's audit row.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        pool_size: int,
        pool_timeout_s: float,
        reads_async_commit: bool = True,
    ) -> None:
        self.engine = engine
        self._dialect = engine.dialect
        self._writes: AsyncConnectionPool[AsyncConnection[Any]] | None = None
        self._reads: AsyncConnectionPool[AsyncConnection[Any]] | None = None
        # WARDGATE_AUDIT_READS_ASYNC_COMMIT=false: reads' audit rows durable at commit too.
        read_options = " -c synchronous_commit=off" if reads_async_commit else ""
        if engine.dialect.name == "postgresql":
            conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._writes, self._reads = (
                AsyncConnectionPool(
                    conninfo,
                    min_size=1,
                    max_size=pool_size,
                    open=False,
                    timeout=pool_timeout_s,
                    kwargs={"options": "-c jit=off -c timezone=UTC" + extra, "autocommit": read},
                )
                for extra, read in (("", False), (read_options, True))
            )

    async def open(self) -> None:
        """Open the pools (in the lifespan: nothing connects at import)."""
        for pool in (self._writes, self._reads):
            if pool is not None:
                await pool.open()

    async def close(self) -> None:
        """Close the pools."""
        for pool in (self._writes, self._reads):
            if pool is not None:
                await pool.close()

    @asynccontextmanager
    async def transaction(
        self, *, read: bool = False, one_statement: bool = False
    ) -> AsyncIterator[Transaction]:
        """One transaction, committed when the block ends, rolled back when it raises.

        `read`: its only writes are audit rows of reads, kept as they are written on
        PostgreSQL (see the class); a use case audits a read once it has succeeded.
        `one_statement`: a write that is a single statement on PostgreSQL, which commits it
        on its own (durably) with no BEGIN and COMMIT round trips."""
        pool = self._reads if read else self._writes
        if pool is None:
            async with self._sqlite_transaction() as tx:
                yield tx
            return
        try:
            conn = await pool.getconn()
        except PoolTimeout:
            raise _retry_later(BUSY, "database_busy") from None
        except psycopg.OperationalError:
            raise _retry_later(UNREACHABLE, "database_unavailable") from None
        alone = one_statement and not read
        try:
            if alone:
                await conn.set_autocommit(True)
            # A write: psycopg opens the transaction with the first statement. A read, or a
            # write of one statement: each statement commits on its own.
            yield _PostgresTransaction(conn, self._dialect)
            if not read and not alone:
                await conn.commit()  # before the answer is sent: a 2xx is durable
        except BaseException as exc:
            with anyio.CancelScope(shield=True):
                await _roll_back(conn)
                await _give_back(pool, conn, alone)
            problem = _as_problem(exc)
            if problem is None:
                raise
            raise problem from exc
        await _give_back(pool, conn, alone)

    @asynccontextmanager
    async def _sqlite_transaction(self) -> AsyncIterator[Transaction]:
        conn = await anyio.to_thread.run_sync(self.engine.connect)
        try:
            await anyio.to_thread.run_sync(conn.begin)
            yield _SqliteTransaction(conn)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(_end, conn, False)
            raise
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(_end, conn, True)


BUSY = "Every database connection is in use, or a conflicting change was; nothing was saved. Retry."
UNREACHABLE = "The database cannot be reached right now. Retry."
# Conflicts a client simply retries: serialization failure, deadlock, lock not available.
_TRANSIENT = {"40001", "40P01", "55P03"}
# PostgreSQL shutting down or restarting (class 08, no state: the connection itself failed).
_GONE = {"57P01", "57P02", "57P03"}


def _retry_later(detail: str, code: str) -> ServiceUnavailable:
    return ServiceUnavailable(detail, code=code, headers={"Retry-After": "1"})


def _as_problem(exc: BaseException) -> ServiceUnavailable | None:
    """A retryable 503 for what the client can wait out; None for anything else."""
    if not isinstance(exc, psycopg.Error):
        return None
    sqlstate = exc.sqlstate or ""
    if sqlstate in _TRANSIENT:
        return _retry_later(BUSY, "database_busy")
    if isinstance(exc, psycopg.OperationalError) and (
        not sqlstate or sqlstate.startswith("08") or sqlstate in _GONE
    ):
        return _retry_later(UNREACHABLE, "database_unavailable")
    return None


async def _give_back(
    pool: AsyncConnectionPool[AsyncConnection[Any]], conn: AsyncConnection[Any], alone: bool
) -> None:
    if alone and not conn.closed:
        with contextlib.suppress(psycopg.Error):  # a broken connection: the pool drops it
            await conn.set_autocommit(False)
    await pool.putconn(conn)


async def _roll_back(conn: AsyncConnection[Any]) -> None:
    # The pool would roll back too (with a warning); a broken connection it discards.
    try:
        if conn.info.transaction_status != TransactionStatus.IDLE:
            await conn.rollback()
    except Exception:  # the connection is gone; the pool replaces it
        log.debug("rollback failed", exc_info=True)


def _end(conn: Connection, commit: bool) -> None:
    try:
        if commit:
            conn.commit()
        else:
            conn.rollback()
    finally:
        conn.close()
