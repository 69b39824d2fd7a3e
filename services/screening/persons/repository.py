"""All SQL of persons: upsert, lookups, lists and the ward desk's search."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, any_, bindparam, or_, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.screening.isolation.repository import ISOLATION_COLUMNS, with_isolation
from services.screening.models import admission_end_table as E
from services.screening.models import person_table as P
from services.screening.models import result_table as R
from services.screening.results.repository import ResultRow
from shared.async_db import Query
from shared.db import is_postgres
from shared.vocabulary import Category

_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class PersonRow:
    """One stored person, every column."""

    external_id: str
    name: str
    category: str
    department: str
    ward: str | None
    admitted_at: datetime | None
    patient_external_id: str | None
    phone: str | None
    id_number: str | None
    created_at: datetime
    updated_at: datetime
    # How the current admission (the one with `admitted_at`) ended; None while it lasts.
    discharged_at: datetime | None = None
    disposition: str | None = None
    # The newest isolation event (none: never isolated).
    isolation_state: str | None = None
    isolated_since: datetime | None = None
    isolation_reason: str | None = None
    released_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PersonSummary:
    """Where a person belongs: what batches and alerts need of them."""

    external_id: str
    category: str
    department: str
    ward: str | None


def _person(row: Any) -> PersonRow:
    return PersonRow(**row._mapping)


def ended_admission(person: Any = P) -> ColumnElement[bool]:
    """Joins the end of `person`'s current admission (at most one row: a unique index)."""
    return and_(
        E.c.person_external_id == person.c.external_id,
        E.c.admitted_at.is_not_distinct_from(person.c.admitted_at),
    )


# A person with the end of their current admission, PersonRow's columns in order.
_ROW_COLUMNS = [P.c[f.name] for f in fields(PersonRow) if f.name in P.c] + [
    E.c.discharged_at,
    E.c.disposition,
    *ISOLATION_COLUMNS,
]
# With the end of the current admission and the newest isolation event: still one statement.
_WITH_END = with_isolation(P.outerjoin(E, ended_admission()))
_PERSONS = select(*_ROW_COLUMNS).select_from(_WITH_END)
# Built once: statement construction costs more than the lookup on the hot read paths.
_PERSON = _PERSONS.where(P.c.external_id == bindparam("external_id"))
# One person, PersonRow's columns in order (the async hot path): one statement.
PERSON = Query(_PERSON)
# A person (PersonRow's columns) with every version of their results (ResultRow's, null
# without any), newest recorded first, in one statement: the discharge gate's one read.
PERSON_WITH_RESULTS = Query(
    select(*_ROW_COLUMNS, *(R.c[f.name] for f in fields(ResultRow)))
    .select_from(_WITH_END.outerjoin(R, R.c.person_external_id == P.c.external_id))
    .where(P.c.external_id == bindparam("person"))
    .order_by(R.c.id.desc())
    .limit(bindparam("size"))
)
PERSON_COLUMNS = len(fields(PersonRow))
_PERSON_EXISTS = select(P.c.external_id).where(P.c.external_id == bindparam("external_id"))
PERSON_KEY = Query(_PERSON_EXISTS)  # the same lookup, for the async hot paths


def get_person(session: Session, external_id: str) -> PersonRow | None:
    """One person's row, or None."""
    row = session.connection().execute(_PERSON, {"external_id": external_id}).first()
    return _person(row) if row else None


def person_exists(session: Session, external_id: str) -> bool:
    """True when a person with `external_id` is registered."""
    found = session.connection().execute(_PERSON_EXISTS, {"external_id": external_id})
    return found.first() is not None


def is_inpatient(session: Session, external_id: str) -> bool:
    """True when `external_id` is a registered inpatient."""
    query = select(P.c.external_id).where(
        P.c.external_id == external_id, P.c.category == Category.INPATIENT
    )
    return session.connection().execute(query).first() is not None


_SUMMARY_COLUMNS = (P.c.external_id, P.c.category, P.c.department, P.c.ward)
_PERSONS_PG = select(*_SUMMARY_COLUMNS).where(
    P.c.external_id == any_(bindparam("ids", type_=postgresql.ARRAY(String)))
)


def persons_by_id(session: Session, external_ids: Iterable[str]) -> dict[str, PersonSummary]:
    """Those of the persons that exist (looked up in chunks, not one by one)."""
    wanted = sorted(set(external_ids))
    found: dict[str, PersonSummary] = {}
    postgres = is_postgres(session)
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        if postgres:  # one array parameter (see results.repository.histories)
            rows = session.connection().execute(_PERSONS_PG, {"ids": chunk})
        else:
            query = select(*_SUMMARY_COLUMNS).where(P.c.external_id.in_(chunk))
            rows = session.connection().execute(query)
        found.update({r.external_id: PersonSummary(*r) for r in rows})
    return found


def upsert_person(
    session: Session, external_id: str, fields: Mapping[str, Any], now: datetime
) -> tuple[PersonRow, bool]:
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


@dataclass(frozen=True)
class PersonFilter:
    """Which persons a list shows (None: any)."""

    category: Category | None = None
    department: str | None = None
    ward: str | None = None
    patient_external_id: str | None = None


def list_persons(
    session: Session, who: PersonFilter, *, size: int, after: str | None
) -> list[PersonRow]:
    """Up to `size + 1` persons after the cursor, ordered by external id."""
    query = _PERSONS.order_by(P.c.external_id).limit(size + 1)
    if after is not None:
        query = query.where(P.c.external_id > after)
    for column, value in (
        (P.c.category, who.category),
        (P.c.department, who.department),
        (P.c.ward, who.ward),
        (P.c.patient_external_id, who.patient_external_id),
    ):
        if value is not None:
            query = query.where(column == value)
    return [_person(r) for r in session.connection().execute(query)]


def find_persons(session: Session, text: str, limit: int) -> list[PersonRow]:
    """Persons whose external id is `text` or whose name contains it, by external id."""
    query = (
        _PERSONS.where(or_(P.c.external_id == text, P.c.name.contains(text, autoescape=True)))
        .order_by(P.c.external_id)
        .limit(limit)
    )
    return [_person(r) for r in session.connection().execute(query)]
