"""All SQL of contact follow-up: open, extend, close, checks and the team's lists."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.screening.domain.follow_up import FollowUpState
from services.screening.follow_ups.tables import follow_up_check_table as C
from services.screening.follow_ups.tables import follow_up_table as F
from services.screening.models import person_table as P


@dataclass(frozen=True, slots=True)
class FollowUpRow:
    """One stored follow-up, with the person's name when they are registered."""

    id: int
    person_external_id: str
    index_external_id: str | None
    reason: str
    start: date
    end: date
    state: str
    opened_at: datetime
    opened_by: str
    closed_at: datetime | None
    closed_by: str | None
    close_reason: str | None
    name: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class CheckRow:
    """One day's check."""

    follow_up_id: int
    day: date
    temperature_c: float
    symptoms: list[str]
    note: str | None
    recorded_at: datetime
    recorded_by: str


_COLUMNS = [F.c[f.name] for f in fields(FollowUpRow) if f.name in F.c] + [P.c.name, P.c.phone]
_FOLLOW_UPS = select(*_COLUMNS).select_from(
    F.outerjoin(P, P.c.external_id == F.c.person_external_id)
)
_CHECK_COLUMNS = [C.c[f.name] for f in fields(CheckRow)]


def _row(row: Any) -> FollowUpRow:
    return FollowUpRow(*row)


def follow_up(session: Session, follow_up_id: int) -> FollowUpRow | None:
    """One follow-up, or None."""
    row = session.connection().execute(_FOLLOW_UPS.where(F.c.id == follow_up_id)).first()
    return _row(row) if row else None


def active_of(session: Session, person: str) -> FollowUpRow | None:
    """The person's active follow-up, or None."""
    query = _FOLLOW_UPS.where(F.c.person_external_id == person, F.c.state == FollowUpState.ACTIVE)
    row = session.connection().execute(query).first()
    return _row(row) if row else None


def insert_follow_up(session: Session, **values: Any) -> int | None:
    """A new active follow-up's id; None when the person has one already (a unique index)."""
    try:
        with session.begin_nested():
            inserted = session.connection().execute(
                F.insert().values(state=FollowUpState.ACTIVE, **values).returning(F.c.id)
            )
            return int(inserted.scalar_one())
    except IntegrityError:
        return None


def extend_to(session: Session, follow_up_id: int, end: date) -> None:
    """Move an active follow-up's end later (never earlier)."""
    session.connection().execute(
        update(F).where(F.c.id == follow_up_id, F.c.end < end).values(end=end)
    )


def close(
    session: Session,
    follow_up_id: int,
    state: FollowUpState,
    by: str,
    reason: str | None,
    now: datetime,
) -> bool:
    """Close an active follow-up; False when it was not active (any more)."""
    changed = session.connection().execute(
        update(F)
        .where(F.c.id == follow_up_id, F.c.state == FollowUpState.ACTIVE)
        .values(state=state, closed_at=now, closed_by=by, close_reason=reason)
    )
    return bool(changed.rowcount)


def convert_active(session: Session, persons: Iterable[str], by: str, now: datetime) -> int:
    """Mark the active follow-ups of persons who became isolated `converted`."""
    wanted = sorted(set(persons))
    if not wanted:
        return 0
    changed = session.connection().execute(
        update(F)
        .where(F.c.person_external_id.in_(wanted), F.c.state == FollowUpState.ACTIVE)
        .values(state=FollowUpState.CONVERTED, closed_at=now, closed_by=by, close_reason="isolated")
    )
    return int(changed.rowcount)


def add_check(session: Session, **values: Any) -> bool:
    """Append a day's check; False when that day has one already."""
    try:
        with session.begin_nested():
            session.connection().execute(C.insert().values(**values))
        return True
    except IntegrityError:
        return False


def checks_of(session: Session, follow_up_ids: Iterable[int]) -> dict[int, list[CheckRow]]:
    """The checks of each follow-up, by day."""
    wanted = sorted(set(follow_up_ids))
    found: dict[int, list[CheckRow]] = defaultdict(list)
    if not wanted:
        return found
    query = (
        select(*_CHECK_COLUMNS)
        .where(C.c.follow_up_id.in_(wanted))
        .order_by(C.c.follow_up_id, C.c.day)
    )
    for r in session.connection().execute(query):
        found[r.follow_up_id].append(CheckRow(*r))
    return found


@dataclass(frozen=True)
class FollowUpFilter:
    """Which follow-ups a list shows: a state, and only those due on `due_on`."""

    state: FollowUpState | None = None
    due_on: date | None = None


def list_follow_ups(
    session: Session, which: FollowUpFilter, *, size: int, after: int | None
) -> list[FollowUpRow]:
    """Up to `size + 1` follow-ups after the cursor, ordered by id."""
    query = _FOLLOW_UPS.order_by(F.c.id).limit(size + 1)
    if after is not None:
        query = query.where(F.c.id > after)
    if which.state is not None:
        query = query.where(F.c.state == which.state)
    day = which.due_on
    if day is not None:
        checked = exists().where(C.c.follow_up_id == F.c.id, C.c.day == day)
        query = query.where(
            F.c.state == FollowUpState.ACTIVE, F.c.start <= day, F.c.end >= day, ~checked
        )
    return [_row(r) for r in session.connection().execute(query)]
