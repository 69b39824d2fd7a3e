"""All SQL of isolation: append events, read a person's state, list who is isolated now."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.sql.selectable import FromClause
from sqlmodel import Session

from services.screening.domain.isolation import IsolationState, NucleicAcidVersion
from services.screening.isolation.tables import isolation_event_table as I
from services.screening.models import person_table as P
from services.screening.models import result_table as R
from shared.vocabulary import Category, TestType

_NEWEST = I.alias("newest_isolation")


def current_isolation(person: Any = P) -> ColumnElement[bool]:
    """Joins `person`'s newest isolation event (at most one row), for one-statement reads."""
    newest = (
        select(func.max(_NEWEST.c.id))
        .where(_NEWEST.c.person_external_id == person.c.external_id)
        .scalar_subquery()
    )
    # The person condition lets the planner probe the person's own events by index (a bare
    # `id = (subquery)` was hashed against the whole table on PostgreSQL).
    joined: ColumnElement[bool] = and_(
        I.c.person_external_id == person.c.external_id, I.c.id == newest
    )
    return joined


# The isolation columns a person read carries, in PersonRow's order.
ISOLATION_COLUMNS = (
    I.c.state.label("isolation_state"),
    I.c.since.label("isolated_since"),
    I.c.reason.label("isolation_reason"),
    I.c.released_at.label("released_at"),
)


def with_isolation(persons: FromClause) -> FromClause:
    """`persons` (a selectable holding the person table) outer-joined to the newest event."""
    return persons.outerjoin(I, current_isolation())


@dataclass(frozen=True, slots=True)
class IsolationRow:
    """A person's newest isolation event (their state)."""

    person_external_id: str
    state: str
    reason: str
    since: datetime
    released_at: datetime | None


_ROW = (I.c.person_external_id, I.c.state, I.c.reason, I.c.since, I.c.released_at)


def isolation_of(session: Session, person: str) -> IsolationRow | None:
    """The person's newest isolation event, or None when never isolated."""
    query = select(*_ROW).where(I.c.person_external_id == person).order_by(I.c.id.desc()).limit(1)
    row = session.connection().execute(query).first()
    return IsolationRow(*row) if row else None


def isolated_among(session: Session, persons: Iterable[str]) -> set[str]:
    """Those of `persons` whose newest event is an isolation."""
    wanted = sorted(set(persons))
    if not wanted:
        return set()
    query = (
        select(P.c.external_id)
        .select_from(with_isolation(P))
        .where(P.c.external_id.in_(wanted), I.c.state == IsolationState.ISOLATED)
    )
    return {r.external_id for r in session.connection().execute(query)}


def add_event(session: Session, **values: Any) -> None:
    """Append one isolation event."""
    session.connection().execute(I.insert().values(**values))


def add_events(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append isolation events (one statement)."""
    if rows:
        session.connection().execute(I.insert(), rows)


def nucleic_acid_versions(session: Session, person: str) -> list[NucleicAcidVersion]:
    """Every version of the person's nucleic-acid results (what the release rule reads)."""
    query = select(
        R.c.external_id,
        R.c.version,
        R.c.result,
        R.c.status,
        R.c.method,
        R.c.specimen_collected_at,
    ).where(R.c.person_external_id == person, R.c.test_type == TestType.NUCLEIC_ACID)
    return [NucleicAcidVersion(*r) for r in session.connection().execute(query)]


@dataclass(frozen=True, slots=True)
class IsolatedPerson:
    """One person isolated now, with where they belong."""

    external_id: str
    name: str
    category: str
    department: str
    ward: str | None
    since: datetime
    reason: str


def list_isolated(
    session: Session, state: IsolationState, category: str | None, department: str | None
) -> list[IsolatedPerson]:
    """Everyone whose newest event is `state`: staff first, then the earliest isolated."""
    staff_first = case((P.c.category == Category.STAFF, 0), else_=1)
    query = (
        select(
            P.c.external_id, P.c.name, P.c.category, P.c.department, P.c.ward, I.c.since, I.c.reason
        )
        .select_from(with_isolation(P))
        .where(I.c.state == state)
        .order_by(staff_first, I.c.since, P.c.external_id)
    )
    for column, value in ((P.c.category, category), (P.c.department, department)):
        if value is not None:
            query = query.where(column == value)
    return [IsolatedPerson(*r) for r in session.connection().execute(query)]
