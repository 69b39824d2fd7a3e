"""All SQL of screening results: append-only versions, read back with or without their history."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from operator import itemgetter
from typing import Any, cast

import psycopg
from sqlalchemy import and_, bindparam, exists, or_, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import Executable
from sqlmodel import Session

from services.screening.domain.versions import StoredVersion
from services.screening.models import person_table as P
from services.screening.models import result_table as R
from shared.async_db import Query
from shared.counting import ResultVersion
from shared.db import is_postgres

_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One stored version of a result, every column (`ResultRow(id=..., **version_row)`)."""

    id: int
    external_id: str
    version: int
    person_external_id: str
    test_type: str
    result: str | None
    status: str
    specimen_collected_at: datetime
    resulted_at: datetime | None
    loinc: str
    values: dict[str, Any] | None
    performer: str | None
    note: str | None
    replaces_version: int | None
    content_hash: str
    recorded_at: datetime
    recorded_by: str
    method: str = "individual"
    pool_id: str | None = None


def _result(row: Any) -> ResultRow:
    return ResultRow(**row._mapping)


_HISTORY_COLS = (
    R.c.external_id,
    R.c.version,
    R.c.status,
    R.c.content_hash,
    R.c.person_external_id,
    R.c.test_type,
)


def _stored(row: Any) -> StoredVersion:
    return StoredVersion(
        row.version, row.status, row.content_hash, row.person_external_id, row.test_type
    )


def version_history(session: Session, external_id: str) -> list[StoredVersion]:
    """Every stored version of one result (what placing a new post needs)."""
    rows = session.connection().execute(
        select(*_HISTORY_COLS).where(R.c.external_id == external_id)
    )
    return [_stored(r) for r in rows]


# PostgreSQL takes a batch's ids as one array parameter: a statement with 5,000 bound
# parameters cost more to render and convert (SQLAlchemy, psycopg) than to run.
# One index probe per wanted id (a nested loop over the array; OFFSET 0 keeps the planner
# from flattening it into a hash or merge join): `external_id = ANY(array)` let the planner
# pick a sequential scan of the whole table for 5,000 ids (52 ms at 255k rows, growing with
# the table) where the probes take 16 ms whatever the table's size.
_HISTORIES_PG = text(
    "SELECT found.* FROM unnest(CAST(:ids AS varchar[])) AS wanted(external_id) "
    "CROSS JOIN LATERAL (SELECT r.external_id, r.version, r.status, r.content_hash, "
    "r.person_external_id, r.test_type FROM screening_result AS r "
    "WHERE r.external_id = wanted.external_id OFFSET 0) AS found"
)


def histories(session: Session, external_ids: Iterable[str]) -> dict[str, list[StoredVersion]]:
    """Version histories of many results, looked up in chunks."""
    wanted = sorted(set(external_ids))
    found: dict[str, list[StoredVersion]] = defaultdict(list)
    postgres = is_postgres(session)
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        if postgres:
            rows = session.connection().execute(_HISTORIES_PG, {"ids": chunk})
        else:
            rows = session.connection().execute(
                select(*_HISTORY_COLS).where(R.c.external_id.in_(chunk))
            )
        for r in rows:
            found[r.external_id].append(_stored(r))
    return found


def get_version(session: Session, external_id: str, version: int) -> ResultRow:
    """One stored version."""
    query = select(R).where(R.c.external_id == external_id, R.c.version == version)
    return _result(session.connection().execute(query).one())


def insert_version(session: Session, row: dict[str, Any]) -> int | None:
    """Insert one version; None when (external_id, version) was taken concurrently."""
    try:
        with session.begin_nested():
            inserted = session.connection().execute(R.insert().values(**row).returning(R.c.id))
            return int(inserted.scalar_one())
    except IntegrityError:
        return None


# The columns the set-based insert writes, with their PostgreSQL types: COPY is sent in
# binary, which psycopg writes from these types (the text format's per-value formatting was a
# quarter of a 5,000-result batch's CPU).
_COLUMN_TYPES = {
    "external_id": "varchar",
    "version": "int4",
    "person_external_id": "varchar",
    "test_type": "varchar",
    "result": "varchar",
    "status": "varchar",
    "specimen_collected_at": "timestamptz",
    "resulted_at": "timestamptz",
    "loinc": "varchar",
    "values": "json",
    "performer": "varchar",
    "note": "text",
    "replaces_version": "int4",
    "content_hash": "varchar",
    "recorded_at": "timestamptz",
    "recorded_by": "varchar",
}
_COLUMNS = tuple(_COLUMN_TYPES)
_COLUMN_LIST = ", ".join(f'"{name}"' for name in _COLUMNS)
# PostgreSQL: the versions are COPYed straight into the table as they are made (placing the
# next result overlaps with the server storing the last), ids drawn from its sequence first
# (COPY returns none; ids left unused are gaps, as after any rollback). When a concurrent
# writer stored one of the same versions meanwhile, the COPY fails as a whole: it is undone
# to a savepoint and the rows go the slower way, into a per-connection staging table (emptied
# at commit) and moved with one INSERT ... SELECT ... ON CONFLICT DO NOTHING, which skips
# what the other writer stored.
# (S608: the statements are built from the constant column list above, never from input.)
_PG_IDS = "SELECT nextval('screening_result_id_seq') FROM generate_series(1, %s)"
_PG_COPY_DIRECT = f"COPY screening_result (id, {_COLUMN_LIST}) FROM STDIN (FORMAT BINARY)"
_PG_STAGING = (
    "CREATE TEMP TABLE IF NOT EXISTS incoming_result ON COMMIT DELETE ROWS AS "  # noqa: S608
    f"SELECT {_COLUMN_LIST} FROM screening_result WITH NO DATA"
)
_PG_COPY_STAGING = f"COPY incoming_result ({_COLUMN_LIST}) FROM STDIN (FORMAT BINARY)"
_PG_MOVE = (
    f"INSERT INTO screening_result ({_COLUMN_LIST}) "  # noqa: S608
    f"SELECT {_COLUMN_LIST} FROM incoming_result "
    "ON CONFLICT (external_id, version) DO NOTHING RETURNING id, external_id, version"
)


# A row in COPY's column order (the json column takes the dict: psycopg dumps it).
_copy_row = itemgetter(*_COLUMNS)


def _pg_copy_insert(session: Session, rows: Iterable[dict[str, Any]], most: int) -> list[Any]:
    driver: Any = session.connection().connection.driver_connection
    copied: list[tuple[Any, ...]] = []
    coming = iter(rows)
    with driver.cursor() as cur:
        ids = [i for (i,) in cur.execute(_PG_IDS, [most])]
        cur.execute("SAVEPOINT copy_results")
        try:
            with cur.copy(_PG_COPY_DIRECT) as copy:
                copy.set_types(["int8", *_COLUMN_TYPES.values()])
                for id_, row in zip(ids, coming, strict=False):
                    copied.append(_copy_row(row))
                    copy.write_row((id_, *copied[-1]))
                if next(coming, None) is not None:
                    raise ValueError(f"more than the {most} versions announced")
        except psycopg.errors.UniqueViolation:
            cur.execute("ROLLBACK TO SAVEPOINT copy_results")
            copied.extend(_copy_row(row) for row in coming)
            return _pg_staged_insert(cur, copied)
        cur.execute("RELEASE SAVEPOINT copy_results")
        return [(id_, row[0], row[1]) for id_, row in zip(ids, copied, strict=False)]


def _pg_staged_insert(cur: Any, copied: list[tuple[Any, ...]]) -> list[Any]:
    cur.execute(_PG_STAGING)
    cur.execute("TRUNCATE incoming_result")
    with cur.copy(_PG_COPY_STAGING) as copy:
        copy.set_types(list(_COLUMN_TYPES.values()))
        for row in copied:
            copy.write_row(row)
    cur.execute(_PG_MOVE)
    return list(cur.fetchall())


def insert_versions(
    session: Session, rows: Iterable[dict[str, Any]], most: int
) -> dict[tuple[str, int], int]:
    """Set-based insert of at most `most` versions; returns ids of those stored, by identity.

    `rows` may be a generator, consumed once: on PostgreSQL each row is sent as it comes.
    A version a concurrent writer stored first is skipped (ON CONFLICT DO NOTHING) and so
    absent from the answer: the caller reports it instead of dropping it silently.
    """
    if most <= 0:
        return {}
    if is_postgres(session):
        moved = _pg_copy_insert(session, rows, most)
    else:
        statement = (
            sqlite.insert(R)
            .on_conflict_do_nothing(index_elements=[R.c.external_id, R.c.version])
            .returning(R.c.id, R.c.external_id, R.c.version)
        )
        listed = list(rows)
        if not listed:
            return {}
        moved = [tuple(r) for r in session.connection().execute(statement, listed)]
    return {(external_id, version): id_ for id_, external_id, version in moved}


def result_versions(session: Session, person_external_id: str) -> list[ResultVersion]:
    """Every version of every result of a person (what the counting rule reads)."""
    query = select(
        R.c.external_id,
        R.c.version,
        R.c.test_type,
        R.c.result,
        R.c.status,
        R.c.specimen_collected_at,
    ).where(R.c.person_external_id == person_external_id)
    return [ResultVersion(*r) for r in session.connection().execute(query)]


@functools.cache
def results_query(*, after: bool, test_type: bool, include_history: bool) -> Query:
    """A person's results, newest recorded first (`person`, `size`, and `after`, `test_type`
    when set), ResultRow's columns in order; only latest versions unless with history.
    Built and compiled once for each of the eight shapes."""
    query = (
        select(*(R.c[f.name] for f in fields(ResultRow)))
        .where(R.c.person_external_id == bindparam("person"))
        .order_by(R.c.id.desc())
        .limit(bindparam("size"))
    )
    if after:
        query = query.where(R.c.id < bindparam("after"))
    if test_type:
        query = query.where(R.c.test_type == bindparam("test_type"))
    if not include_history:
        newer = R.alias("newer")
        query = query.where(
            ~exists().where(
                and_(newer.c.external_id == R.c.external_id, newer.c.version > R.c.version)
            )
        )
    return Query(query)


def results_params(
    person_external_id: str, *, size: int, after_id: int | None, test_type: str | None
) -> dict[str, Any]:
    """The parameters of `results_query` (the page size asked for, plus one)."""
    params: dict[str, Any] = {"person": person_external_id, "size": size + 1}
    if after_id is not None:
        params["after"] = after_id
    if test_type is not None:
        params["test_type"] = test_type
    return params


def list_results(
    session: Session,
    person_external_id: str,
    *,
    size: int,
    after_id: int | None,
    test_type: str | None,
    include_history: bool,
) -> list[ResultRow]:
    """A person's results, newest recorded first; only latest versions unless with history."""
    query = results_query(
        after=after_id is not None, test_type=test_type is not None, include_history=include_history
    )
    params = results_params(person_external_id, size=size, after_id=after_id, test_type=test_type)
    statement = cast(Executable, query.clause)
    return [ResultRow(*r) for r in session.connection().execute(statement, params)]


@dataclass(frozen=True, slots=True)
class ReceivedFilter:
    """What `GET /results` narrows to: codes, the person's department, a received-time window."""

    test_type: str | None = None
    result: str | None = None
    status: str | None = None
    department: str | None = None
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive


@dataclass(frozen=True, slots=True)
class ReceivedRow:
    """A result's latest version with whom it belongs to (name, category, department)."""

    result: ResultRow
    person_name: str
    category: str
    department: str


def received_results(
    session: Session, who: ReceivedFilter, *, size: int, after: tuple[datetime, int] | None
) -> list[ReceivedRow]:
    """Latest versions received in the window, newest received first (`size` of them)."""
    newer = R.alias("newer")
    query = (
        select(*(R.c[f.name] for f in fields(ResultRow)), P.c.name, P.c.category, P.c.department)
        .select_from(R.join(P, P.c.external_id == R.c.person_external_id))
        .where(
            ~exists().where(newer.c.external_id == R.c.external_id, newer.c.version > R.c.version)
        )
        .order_by(R.c.recorded_at.desc(), R.c.id.desc())
        .limit(size)
    )
    for column, value in (
        (R.c.test_type, who.test_type),
        (R.c.result, who.result),
        (R.c.status, who.status),
        (P.c.department, who.department),
    ):
        if value is not None:
            query = query.where(column == value)
    if who.result is not None and who.status is None:  # a voided result reads as nothing
        query = query.where(R.c.status != "entered_in_error")
    if who.start is not None:
        query = query.where(R.c.recorded_at >= who.start)
    if who.end is not None:
        query = query.where(R.c.recorded_at < who.end)
    if after is not None:
        at, row_id = after
        query = query.where(or_(R.c.recorded_at < at, and_(R.c.recorded_at == at, R.c.id < row_id)))
    n = len(fields(ResultRow))
    rows = session.connection().execute(query)
    return [ReceivedRow(ResultRow(*r[:n]), *r[n:]) for r in rows]


def person_departments(session: Session) -> list[str]:
    """Every department code some registered person has (the known ones), in order."""
    query = select(P.c.department).distinct().order_by(P.c.department)
    return [d for (d,) in session.connection().execute(query)]
