"""All SQL of specimens, pools, pool result versions, pooled member versions and retests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import String, any_, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.screening.domain.versions import StoredVersion
from services.screening.models import result_table as R
from services.screening.pools.tables import pool_result_table as PR
from services.screening.pools.tables import pool_table as PL
from services.screening.pools.tables import retest_table as RT
from services.screening.pools.tables import specimen_table as S
from services.screening.results.repository import ResultRow
from shared.db import is_postgres
from shared.vocabulary import PoolState, RetestState

_CHUNK = 1000
_NAMES = postgresql.ARRAY(String(64))


@dataclass(frozen=True, slots=True)
class SpecimenRow:
    """One stored specimen."""

    specimen_id: str
    person_external_id: str
    test_type: str
    collected_at: datetime
    pool_id: str | None
    booking_code: str | None
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True, slots=True)
class PoolRow:
    """One stored pool (its size and the reading of its latest result)."""

    pool_id: str
    size: int
    state: str
    result_external_id: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RetestRow:
    """One retest."""

    id: int
    specimen_id: str
    person_external_id: str
    pool_id: str
    pool_collected_at: datetime
    opened_at: datetime
    state: str
    closed_at: datetime | None
    closed_by_result_external_id: str | None


_SPECIMEN_COLS = [S.c[f.name] for f in fields(SpecimenRow)]
_POOL_COLS = [PL.c[f.name] for f in fields(PoolRow)]
_RETEST_COLS = [RT.c[f.name] for f in fields(RetestRow)]


def _specimen(row: Any) -> SpecimenRow:
    return SpecimenRow(*row)


# Specimens ------------------------------------------------------------------------------


def get_specimen(session: Session, specimen_id: str) -> SpecimenRow | None:
    """One specimen by its tube barcode id."""
    query = select(*_SPECIMEN_COLS).where(S.c.specimen_id == specimen_id)
    row = session.connection().execute(query).first()
    return _specimen(row) if row is not None else None


def specimens(session: Session, specimen_ids: Iterable[str]) -> dict[str, SpecimenRow]:
    """Specimens by id (those stored)."""
    wanted = sorted(set(specimen_ids))
    found: dict[str, SpecimenRow] = {}
    for start in range(0, len(wanted), _CHUNK):
        query = select(*_SPECIMEN_COLS).where(S.c.specimen_id.in_(wanted[start : start + _CHUNK]))
        for row in session.connection().execute(query):
            found[row.specimen_id] = _specimen(row)
    return found


def specimen_by_booking_code(session: Session, booking_code: str) -> SpecimenRow | None:
    """The newest specimen (by collection time) that carries `booking_code`, if any."""
    query = (
        select(*_SPECIMEN_COLS)
        .where(S.c.booking_code == booking_code)
        .order_by(S.c.collected_at.desc(), S.c.id.desc())
        .limit(1)
    )
    row = session.connection().execute(query).first()
    return _specimen(row) if row is not None else None


def insert_specimen(session: Session, row: dict[str, Any]) -> bool:
    """Insert one specimen; False when its id was taken concurrently."""
    try:
        with session.begin_nested():
            session.connection().execute(S.insert().values(**row))
            return True
    except IntegrityError:
        return False


def put_in_pool(session: Session, specimen_ids: Sequence[str], pool_id: str) -> None:
    """Give specimens (not yet pooled) their pool."""
    if specimen_ids:
        session.connection().execute(
            update(S)
            .where(S.c.specimen_id.in_(list(specimen_ids)), S.c.pool_id.is_(None))
            .values(pool_id=pool_id)
        )


def pool_members(session: Session, pool_id: str) -> list[SpecimenRow]:
    """The specimens of a pool, in the order they were recorded."""
    query = select(*_SPECIMEN_COLS).where(S.c.pool_id == pool_id).order_by(S.c.id)
    return [_specimen(r) for r in session.connection().execute(query)]


# Pools ----------------------------------------------------------------------------------


def ensure_pool(session: Session, pool_id: str, now: datetime) -> bool:
    """Create the pool unless it exists (a concurrent creator wins quietly); True if created."""
    values = {
        "pool_id": pool_id,
        "size": 0,
        "state": PoolState.OPEN.value,
        "result_external_id": None,
        "created_at": now,
        "updated_at": now,
    }
    dialect: Any = postgresql if is_postgres(session) else sqlite
    statement = dialect.insert(PL).values(**values).on_conflict_do_nothing().returning(PL.c.pool_id)
    return session.connection().execute(statement).first() is not None


def get_pool(session: Session, pool_id: str, *, lock: bool = False) -> PoolRow | None:
    """One pool; with `lock`, held until the transaction ends (PostgreSQL: FOR UPDATE; SQLite
    serialises writers with BEGIN IMMEDIATE already)."""
    query = select(*_POOL_COLS).where(PL.c.pool_id == pool_id)
    if lock and is_postgres(session):
        query = query.with_for_update()
    row = session.connection().execute(query).first()
    return PoolRow(*row) if row is not None else None


def known_pools(session: Session, pool_ids: Iterable[str]) -> set[str]:
    """Which of these ids name a stored pool (how feeds tell a pool from a person's tube)."""
    wanted = sorted(set(pool_ids))
    if not wanted:
        return set()
    query = select(PL.c.pool_id).where(PL.c.pool_id.in_(wanted))
    return {r.pool_id for r in session.connection().execute(query)}


def update_pool(session: Session, pool_id: str, now: datetime, **values: Any) -> None:
    """Set a pool's size, state or result."""
    session.connection().execute(
        update(PL).where(PL.c.pool_id == pool_id).values(updated_at=now, **values)
    )


# Pool result versions -------------------------------------------------------------------


def pool_result_history(session: Session, external_id: str) -> list[StoredVersion]:
    """Every stored version of one pool result (the pool stands where the person would)."""
    query = select(PR.c.version, PR.c.status, PR.c.content_hash, PR.c.pool_id).where(
        PR.c.external_id == external_id
    )
    return [
        StoredVersion(r.version, r.status, r.content_hash, r.pool_id, "nucleic_acid")
        for r in session.connection().execute(query)
    ]


def insert_pool_result(session: Session, row: dict[str, Any]) -> bool:
    """Insert one pool result version; False when (external_id, version) was taken (one
    statement: no savepoint round trips)."""
    dialect: Any = postgresql if is_postgres(session) else sqlite
    statement = (
        dialect.insert(PR)
        .values(**row)
        .on_conflict_do_nothing(index_elements=[PR.c.external_id, PR.c.version])
        .returning(PR.c.id)
    )
    return session.connection().execute(statement).first() is not None


def latest_pool_reading(session: Session, pool_id: str) -> tuple[str, str, str] | None:
    """(external_id, result, status) of the pool's newest result version, if any."""
    query = (
        select(PR.c.external_id, PR.c.result, PR.c.status)
        .where(PR.c.pool_id == pool_id)
        .order_by(PR.c.id.desc())
        .limit(1)
    )
    row = session.connection().execute(query).first()
    return (row.external_id, row.result, row.status) if row is not None else None


# Pooled member versions -----------------------------------------------------------------


def insert_member_versions(session: Session, rows: Sequence[dict[str, Any]]) -> list[ResultRow]:
    """Insert pooled member versions (one statement); a taken version raises IntegrityError,
    which undoes the whole pool: its members are stored all or none."""
    if not rows:
        return []
    statement = R.insert().returning(R.c.id, R.c.external_id, R.c.version)
    ids = {
        (r.external_id, r.version): r.id
        for r in session.connection().execute(statement, list(rows))
    }
    return [ResultRow(id=ids[(row["external_id"], row["version"])], **row) for row in rows]


# Retests --------------------------------------------------------------------------------


def open_retests_for(
    session: Session, members: Sequence[SpecimenRow], pool_id: str, now: datetime
) -> int:
    """Open (or reopen, when a pool correction had closed it) a retest for every member."""
    if not members:
        return 0
    pool_collected_at = max(m.collected_at for m in members)
    wanted = [m.specimen_id for m in members]
    existing = {
        r.specimen_id: r
        for r in session.connection().execute(
            select(RT.c.specimen_id, RT.c.state, RT.c.closed_by_result_external_id).where(
                RT.c.specimen_id.in_(wanted)
            )
        )
    }
    new = [
        {
            "specimen_id": m.specimen_id,
            "person_external_id": m.person_external_id,
            "pool_id": pool_id,
            "pool_collected_at": pool_collected_at,
            "opened_at": now,
            "state": RetestState.OPEN.value,
        }
        for m in members
        if m.specimen_id not in existing
    ]
    if new:
        session.connection().execute(RT.insert(), new)
    reopen = [
        s
        for s, r in existing.items()
        if r.state == RetestState.DONE and r.closed_by_result_external_id is None
    ]
    if reopen:
        session.connection().execute(
            update(RT)
            .where(RT.c.specimen_id.in_(reopen))
            .values(state=RetestState.OPEN.value, opened_at=now, closed_at=None)
        )
    return len(new) + len(reopen)


def withdraw_retests(session: Session, pool_id: str, now: datetime) -> None:
    """Close the pool's open retests without a result: its reading no longer asks for them."""
    session.connection().execute(
        update(RT)
        .where(RT.c.pool_id == pool_id, RT.c.state == RetestState.OPEN.value)
        .values(state=RetestState.DONE.value, closed_at=now)
    )


def open_retests_of(session: Session, persons: Sequence[str]) -> list[RetestRow]:
    """The open retests of these persons (what a new individual result may close)."""
    wanted = sorted(set(persons))
    if not wanted:
        return []
    base = select(*_RETEST_COLS).where(RT.c.state == RetestState.OPEN.value)
    if is_postgres(session):  # one array parameter, however many persons
        query = base.where(RT.c.person_external_id == any_(bindparam("ids", type_=_NAMES)))
        return [RetestRow(*r) for r in session.connection().execute(query, {"ids": wanted})]
    found: list[RetestRow] = []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows = session.connection().execute(base.where(RT.c.person_external_id.in_(chunk)))
        found.extend(RetestRow(*r) for r in rows)
    return found


def close_retest(session: Session, retest_id: int, result_external_id: str, now: datetime) -> None:
    """Mark one retest done by an individual result."""
    session.connection().execute(
        update(RT)
        .where(RT.c.id == retest_id, RT.c.state == RetestState.OPEN.value)
        .values(
            state=RetestState.DONE.value,
            closed_at=now,
            closed_by_result_external_id=result_external_id,
        )
    )


def list_retests(
    session: Session, state: str | None, *, size: int, after_id: int | None
) -> list[RetestRow]:
    """Retests, oldest first (`size` of them), narrowed to a state."""
    query = select(*_RETEST_COLS).order_by(RT.c.id).limit(size)
    if state is not None:
        query = query.where(RT.c.state == state)
    if after_id is not None:
        query = query.where(RT.c.id > after_id)
    return [RetestRow(*r) for r in session.connection().execute(query)]
