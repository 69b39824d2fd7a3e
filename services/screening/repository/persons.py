"""Persons: upsert, lookups and lists."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import String, any_, bindparam, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.screening.models import person_table as P
from shared.db import is_postgres

_CHUNK = 1000


# Built once: statement construction costs more than the lookup on the hot read paths.
_PERSON = select(P).where(P.c.external_id == bindparam("external_id"))
_PERSON_EXISTS = select(P.c.external_id).where(P.c.external_id == bindparam("external_id"))


def get_person(session: Session, external_id: str) -> dict[str, Any] | None:
    """One person's row, or None."""
    row = session.connection().execute(_PERSON, {"external_id": external_id}).first()
    return dict(row._mapping) if row else None


def person_exists(session: Session, external_id: str) -> bool:
    """True when a person with `external_id` is registered."""
    found = session.connection().execute(_PERSON_EXISTS, {"external_id": external_id})
    return found.first() is not None


def is_inpatient(session: Session, external_id: str) -> bool:
    """True when `external_id` is a registered inpatient."""
    query = select(P.c.external_id).where(
        P.c.external_id == external_id, P.c.category == "inpatient"
    )
    return session.connection().execute(query).first() is not None


_PERSONS_PG = select(P.c.external_id, P.c.category, P.c.department, P.c.ward).where(
    P.c.external_id == any_(bindparam("ids", type_=postgresql.ARRAY(String)))
)


def persons_by_id(session: Session, external_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The rows of those persons that exist (looked up in chunks, not one by one)."""
    wanted = sorted(set(external_ids))
    found: dict[str, dict[str, Any]] = {}
    cols = (P.c.external_id, P.c.category, P.c.department, P.c.ward)
    postgres = is_postgres(session)
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        if postgres:  # one array parameter (see results.histories)
            rows = session.connection().execute(_PERSONS_PG, {"ids": chunk})
        else:
            rows = session.connection().execute(select(*cols).where(P.c.external_id.in_(chunk)))
        found.update({r.external_id: dict(r._mapping) for r in rows})
    return found


def upsert_person(
    session: Session, external_id: str, fields: dict[str, Any], now: datetime
) -> tuple[dict[str, Any], bool]:
    """Replace the person's fields or create them; returns (row, created)."""
    conn = session.connection()
    changed = conn.execute(
        update(P).where(P.c.external_id == external_id).values(**fields, updated_at=now)
    ).rowcount
    created = False
    if not changed:
        try:
            with session.begin_nested():
                session.connection().execute(
                    P.insert().values(
                        external_id=external_id, **fields, created_at=now, updated_at=now
                    )
                )
            created = True
        except IntegrityError:  # created concurrently: this PUT is then an update
            conn.execute(
                update(P).where(P.c.external_id == external_id).values(**fields, updated_at=now)
            )
    row = get_person(session, external_id)
    assert row is not None
    return row, created


def list_persons(
    session: Session,
    *,
    size: int,
    after: str | None,
    category: str | None = None,
    department: str | None = None,
    ward: str | None = None,
    patient_external_id: str | None = None,
) -> list[dict[str, Any]]:
    """Up to `size + 1` persons after the cursor, ordered by external id."""
    query = select(P).order_by(P.c.external_id).limit(size + 1)
    if after is not None:
        query = query.where(P.c.external_id > after)
    for column, value in (
        (P.c.category, category),
        (P.c.department, department),
        (P.c.ward, ward),
        (P.c.patient_external_id, patient_external_id),
    ):
        if value is not None:
            query = query.where(column == value)
    return [dict(r._mapping) for r in session.connection().execute(query)]
