"""Screening results: append-only versions, read back with or without their history."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import Insert
from sqlmodel import Session

from services.screening.domain.versions import StoredVersion
from services.screening.models import result_table as R
from shared.counting import ResultVersion
from shared.db import is_postgres

_CHUNK = 1000
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


def histories(session: Session, external_ids: Iterable[str]) -> dict[str, list[StoredVersion]]:
    """Version histories of many results, looked up in chunks."""
    wanted = sorted(set(external_ids))
    found: dict[str, list[StoredVersion]] = defaultdict(list)
    for start in range(0, len(wanted), _CHUNK):
        query = select(*_HISTORY_COLS).where(R.c.external_id.in_(wanted[start : start + _CHUNK]))
        for r in session.connection().execute(query):
            found[r.external_id].append(_stored(r))
    return found


def get_version(session: Session, external_id: str, version: int) -> dict[str, Any]:
    """One stored version as a row mapping."""
    query = select(R).where(R.c.external_id == external_id, R.c.version == version)
    return dict(session.connection().execute(query).one()._mapping)


def insert_version(session: Session, row: dict[str, Any]) -> int | None:
    """Insert one version; None when (external_id, version) was taken concurrently."""
    try:
        with session.begin_nested():
            inserted = session.connection().execute(R.insert().values(**row).returning(R.c.id))
            return int(inserted.scalar_one())
    except IntegrityError:
        return None


def _insert_ignoring_taken(session: Session) -> Insert:
    if is_postgres(session):
        return postgresql.insert(R).on_conflict_do_nothing(
            index_elements=[R.c.external_id, R.c.version]
        )
    return sqlite.insert(R).on_conflict_do_nothing(index_elements=[R.c.external_id, R.c.version])


def insert_versions(session: Session, rows: Sequence[dict[str, Any]]) -> dict[tuple[str, int], int]:
    """Set-based insert of many versions; returns ids of those stored, keyed by identity.

    A version a concurrent writer stored first is skipped (ON CONFLICT DO NOTHING) and so
    absent from the answer: the caller reports it instead of dropping it silently.
    """
    stored: dict[tuple[str, int], int] = {}
    statement = _insert_ignoring_taken(session).returning(R.c.id, R.c.external_id, R.c.version)
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        result = session.connection().execute(statement, list(chunk))
        stored.update({(r.external_id, r.version): r.id for r in result})
    return stored


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


def list_results(
    session: Session,
    person_external_id: str,
    *,
    size: int,
    after_id: int | None,
    test_type: str | None,
    include_history: bool,
) -> list[dict[str, Any]]:
    """A person's results, newest recorded first; only latest versions unless with history."""
    query = (
        select(R)
        .where(R.c.person_external_id == person_external_id)
        .order_by(R.c.id.desc())
        .limit(size + 1)
    )
    if after_id is not None:
        query = query.where(R.c.id < after_id)
    if test_type is not None:
        query = query.where(R.c.test_type == test_type)
    if not include_history:
        newer = R.alias("newer")
        query = query.where(
            ~exists().where(
                and_(newer.c.external_id == R.c.external_id, newer.c.version > R.c.version)
            )
        )
    return [dict(r._mapping) for r in session.connection().execute(query)]
