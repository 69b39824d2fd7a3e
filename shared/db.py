"""Database engines and the one-transaction-per-request session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Request
from sqlalchemy import DateTime, Dialect, MetaData, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine
from starlette.concurrency import run_in_threadpool

from shared.settings import WardGateSettings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp, stored in UTC on every backend (SQLite included)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def service_metadata() -> MetaData:
    """A fresh MetaData with the house naming convention (one per service)."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def _sqlite_setup(engine: Engine) -> None:
    # pysqlite's own transaction handling is switched off so that every transaction
    # starts with BEGIN IMMEDIATE: writers queue on busy_timeout instead of failing
    # with "database is locked" half-way through.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


# Execution option of sessions serving reads (GET/HEAD): their only writes are audit rows of
# reads, committed without waiting for the WAL flush (see `_postgres_setup`).
ASYNC_COMMIT = "wardgate_async_commit"


def _postgres_setup(engine: Engine) -> None:
    # psycopg sends its own BEGIN, in a round trip of its own, before a transaction's first
    # statement. Sending it here instead lets a read's transaction add
    # `SET LOCAL synchronous_commit TO off` in that same round trip: its commit (of audit rows
    # only) then returns without waiting for the WAL flush (~3.5 ms here). A PostgreSQL crash
    # may lose the last <1 s of such rows; never a clinical write or a write's audit row,
    # whose transactions stay synchronous. An audit seal (always synchronous) flushes the
    # WAL up to itself, so a sealed row is never among those lost.
    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(ASYNC_COMMIT):
            conn.exec_driver_sql("BEGIN; SET LOCAL synchronous_commit TO off")

    # No JIT: it compiles any query the planner guesses expensive (as with no statistics yet
    # on a fresh table), and a batch's 5,000-id index lookup spent 43 ms compiling to run in
    # 8. WardGate's queries are indexed lookups and paged reports, which JIT does not speed
    # up. Set per connection (committed, so it outlives the first transaction) rather than as
    # a startup option, which PgBouncer would refuse.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        with dbapi_conn.cursor() as cur:
            cur.execute("SET jit = off")
        dbapi_conn.commit()


def make_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int | None = None,
    pre_ping: bool = False,
    recycle_s: int = 1800,
    pool_timeout_s: float = 10.0,
) -> Engine:
    """An engine for `url`; SQLite files get WAL, a busy timeout and BEGIN IMMEDIATE.

    PostgreSQL connections are not pinged on checkout (`pre_ping`, a round trip on every
    request); they are recycled after `recycle_s`, and a connection found dead fails one
    request (503) and invalidates the pool, so the next ones reconnect. A request that finds
    every connection in use waits up to `pool_timeout_s`, then answers 503 `database_busy`.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=pool_size if max_overflow is None else max_overflow,
            pool_timeout=pool_timeout_s,
        )
        _sqlite_setup(engine)
        return engine
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size if max_overflow is None else max_overflow,
        pool_pre_ping=pre_ping,
        pool_recycle=recycle_s,
        pool_timeout=pool_timeout_s,
    )
    _postgres_setup(engine)
    return engine


def settings_engine(settings: WardGateSettings, url: str | None = None) -> Engine:
    """The engine of a service (or of `url`), sized and tuned by its settings."""
    return make_engine(
        url or settings.resolved_database_url(),
        pool_size=settings.wardgate_db_pool_size,
        max_overflow=settings.wardgate_db_max_overflow,
        pre_ping=settings.wardgate_db_pool_pre_ping,
        recycle_s=settings.wardgate_db_pool_recycle_s,
        pool_timeout_s=settings.wardgate_db_pool_timeout_s,
    )


def replica_engine(settings: WardGateSettings) -> Engine | None:
    """The engine of DATABASE_READ_URL (a read replica for auditors' queries), if set."""
    if not settings.database_read_url:
        return None
    return settings_engine(settings, settings.database_read_url)


def read_bind(engine: Engine, settings: WardGateSettings) -> Engine:
    """What sessions of GET/HEAD requests are bound to: `engine`, with async commit if set."""
    if settings.wardgate_audit_reads_async_commit and engine.dialect.name == "postgresql":
        return engine.execution_options(**{ASYNC_COMMIT: True})
    return engine


def is_postgres(bind: Session | Engine) -> bool:
    """True on PostgreSQL (row locks, advisory locks, ON CONFLICT available)."""
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return engine.dialect.name == "postgresql"


def database_reachable(engine: Engine) -> bool:
    """True when a trivial query succeeds."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


def _finish(session: Session, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


async def _finish_in_thread(session: Session, commit: bool) -> None:
    # Shielded, and with a limiter of its own (as FastAPI ends sync dependencies): when every
    # thread of the shared pool waits on a lock this very transaction holds (SQLite's
    # BEGIN IMMEDIATE under a burst of writers), waiting for a pool thread would deadlock.
    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(_finish, session, commit, limiter=anyio.CapacityLimiter(1))


async def _request_session(request: Request) -> AsyncIterator[Session]:
    # An async dependency: making the Session does no I/O (it connects on first use, in the
    # route's worker thread), so no thread-pool hop is spent on entering it; ending it hops
    # only when the request did use the database and did not commit already (`in_transaction`).
    state = request.app.state
    bind = state.read_bind if request.method in _READS else state.engine
    session = Session(bind, expire_on_commit=False)
    try:
        yield session
    except BaseException:
        if session.in_transaction():
            await _finish_in_thread(session, False)
        session.close()
        raise
    if session.in_transaction():
        await _finish_in_thread(session, True)
    session.close()


_READS = frozenset({"GET", "HEAD"})

# scope="function": the commit happens before the response is sent, so a 2xx the client
# sees is always durable.
DbSession = Annotated[Session, Depends(_request_session, scope="function")]


async def _replica_session(request: Request) -> AsyncIterator[Session | None]:
    engine: Engine | None = getattr(request.app.state, "replica_engine", None)
    if engine is None:
        yield None
        return
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    finally:
        if session.in_transaction():  # only ever read: end it without a commit
            await _finish_in_thread(session, False)
        session.close()


# A session on the read replica (DATABASE_READ_URL), or None without one: the route then
# reads through its DbSession. For queries that write nothing (audit rows go to the primary).
ReplicaSession = Annotated[Session | None, Depends(_replica_session, scope="function")]

T = TypeVar("T")


async def in_transaction(session: Session, work: Callable[[], T]) -> T:
    """Run `work` (blocking database calls) in one worker thread and commit there.

    For `async def` routes on hot paths: the reads, the audit row and the commit (or the
    rollback, when `work` raises) cost a single thread-pool hop, where a `def` route pays one
    for the route, one for its response validation and one for the commit.
    """

    def run() -> T:
        try:
            result = work()
        except BaseException:
            session.rollback()
            raise
        session.commit()
        return result

    return await run_in_threadpool(run)
