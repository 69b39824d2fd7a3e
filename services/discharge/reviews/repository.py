"""All SQL of discharge reviews: the discharges a version may touch, reviews, the feed cursor."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from services.discharge.domain.review_triggers import DischargeRelied, ReviewTrigger
from services.discharge.models import Discharge, DischargeEvidence
from services.discharge.reviews.tables import cursor_table as C
from services.discharge.reviews.tables import review_table as V
from shared.db import is_postgres
from shared.vocabulary import Outcome, ReviewState

D = Discharge.__table__  # type: ignore[attr-defined]
E = DischargeEvidence.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class ReviewRow:
    """One stored review."""

    id: int
    discharge_id: int
    patient_external_id: str
    result_external_id: str
    version: int
    change: str
    opened_at: datetime
    result_recorded_at: datetime
    state: str
    resolution: str | None
    note: str | None
    closed_at: datetime | None
    closed_by: str | None


_COLUMNS = [V.c[name] for name in ReviewRow.__dataclass_fields__]


def discharges_touched(
    session: Session, result_ids: Iterable[str], patients: Iterable[str], since: datetime
) -> list[DischargeRelied]:
    """`discharged` records relying on any of the results, or of any of the patients since
    `since`, each with the version of every result in its evidence."""
    results, persons = sorted(set(result_ids)), sorted(set(patients))
    if not results and not persons:
        return []
    relying = select(E.c.discharge_id).where(E.c.result_external_id.in_(results))
    query = (
        select(D.c.id, D.c.patient_external_id, D.c.created_at)
        .where(D.c.outcome == Outcome.DISCHARGED.value)
        .where(
            or_(
                D.c.id.in_(relying),
                D.c.patient_external_id.in_(persons) & (D.c.created_at >= since),
            )
        )
    )
    found = list(session.connection().execute(query))
    if not found:
        return []
    evidence: dict[int, dict[str, int]] = defaultdict(dict)
    rows = select(E.c.discharge_id, E.c.result_external_id, E.c.version).where(
        E.c.discharge_id.in_([r.id for r in found])
    )
    for discharge_id, result_id, version in session.connection().execute(rows):
        held = evidence[discharge_id]
        held[result_id] = max(version, held.get(result_id, 0))
    return [
        DischargeRelied(r.id, r.patient_external_id, r.created_at, evidence[r.id]) for r in found
    ]


def open_reviews(session: Session, triggers: Iterable[ReviewTrigger], now: datetime) -> list[int]:
    """Insert a review for each trigger not reviewed yet; the ids of those inserted."""
    dialect: Any = postgresql if is_postgres(session) else sqlite
    opened: list[int] = []
    for t in triggers:
        statement = (
            dialect.insert(V)
            .values(
                discharge_id=t.discharge_id,
                patient_external_id=t.patient_external_id,
                result_external_id=t.result_external_id,
                version=t.version,
                change=t.change.value,
                opened_at=now,
                result_recorded_at=t.result_recorded_at,
                state=ReviewState.OPEN.value,
            )
            .on_conflict_do_nothing(
                index_elements=[V.c.discharge_id, V.c.result_external_id, V.c.version]
            )
            .returning(V.c.id)
        )
        opened.extend(session.connection().execute(statement).scalars())
    return opened


def list_reviews(
    session: Session, state: ReviewState | None, size: int, after_id: int | None
) -> list[ReviewRow]:
    """Reviews, newest first (`size` of them after the `after_id` position)."""
    query = select(*_COLUMNS).order_by(V.c.id.desc()).limit(size)
    if state is not None:
        query = query.where(V.c.state == state.value)
    if after_id is not None:
        query = query.where(V.c.id < after_id)
    return [ReviewRow(**r._mapping) for r in session.connection().execute(query)]


def get_review(session: Session, review_id: int) -> ReviewRow | None:
    """One review, or None."""
    row = session.connection().execute(select(*_COLUMNS).where(V.c.id == review_id)).first()
    return None if row is None else ReviewRow(**row._mapping)


def close_review(
    session: Session, review_id: int, resolution: str, note: str, actor: str, now: datetime
) -> bool:
    """Close an open review (one conditional UPDATE); False when it was not open."""
    statement = (
        update(V)
        .where(V.c.id == review_id, V.c.state == ReviewState.OPEN.value)
        .values(
            state=ReviewState.CLOSED.value,
            resolution=resolution,
            note=note,
            closed_at=now,
            closed_by=actor,
        )
    )
    return bool(session.connection().execute(statement).rowcount)


def count_open(session: Session) -> int:
    """How many reviews wait for infection control."""
    query = select(func.count()).select_from(V).where(V.c.state == ReviewState.OPEN.value)
    return int(session.connection().execute(query).scalar_one())


@dataclass(frozen=True, slots=True)
class FeedPosition:
    """How far the feed has been applied."""

    high_water: datetime | None
    settled_until: datetime | None


def feed_position(session: Session, feed: str) -> FeedPosition:
    """Where the follower stands (nothing applied yet: both None)."""
    query = select(C.c.high_water, C.c.settled_until).where(C.c.feed == feed)
    row = session.connection().execute(query).first()
    return FeedPosition(None, None) if row is None else FeedPosition(*row)


def advance(session: Session, feed: str, position: FeedPosition, now: datetime) -> None:
    """Store the new position (never moving it back: two followers may race)."""
    dialect: Any = postgresql if is_postgres(session) else sqlite
    values = {
        "high_water": position.high_water,
        "settled_until": position.settled_until,
        "updated_at": now,
    }
    statement = (
        dialect.insert(C)
        .values(feed=feed, **values)
        .on_conflict_do_update(
            index_elements=[C.c.feed],
            set_=values,
            where=C.c.settled_until <= position.settled_until,
        )
    )
    session.connection().execute(statement)
