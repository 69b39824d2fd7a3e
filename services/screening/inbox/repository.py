"""SQL of the inbox of held feed results; typed rows out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import Row, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.screening.models import inbox_table as I
from services.screening.models import person_table as P

HELD = "held"
MATCHED = "matched"
UNKNOWN_PERSON = "unknown_person"


class NewInboxItem(TypedDict):
    """An item to hold, as the intake builds it (server-owned columns only)."""

    received_at: datetime
    channel: str
    reason: str
    detail: str
    state: str
    result_external_id: str
    person_key: str | None
    person_identifiers: list[str]
    patient_name: str | None
    birth_date: str | None
    code: str | None
    content: dict[str, Any]
    content_hash: str
    source_ref: str
    recorded_by: str


@dataclass(frozen=True)
class InboxItem:
    """One held (or since matched) feed result as stored."""

    id: int
    received_at: datetime
    channel: str
    reason: str
    detail: str
    state: str
    result_external_id: str
    person_key: str | None
    person_identifiers: list[str]
    patient_name: str | None
    birth_date: str | None
    code: str | None
    content: dict[str, Any]
    content_hash: str
    source_ref: str
    recorded_by: str
    matched_at: datetime | None
    matched_by: str | None
    matched_person: str | None
    matched_version: int | None


def _item(row: Row[Any]) -> InboxItem:
    return InboxItem(**row._mapping)


def hold(session: Session, row: NewInboxItem) -> tuple[int, bool]:
    """Hold one item; (id, created). The same observation with the same content is held once."""
    existing = (
        session.connection()
        .execute(
            select(I.c.id).where(
                I.c.result_external_id == row["result_external_id"],
                I.c.content_hash == row["content_hash"],
            )
        )
        .first()
    )
    if existing is not None:
        return int(existing.id), False
    try:
        with session.begin_nested():
            new = session.connection().execute(I.insert().values(**row).returning(I.c.id))
            return int(new.scalar_one()), True
    except IntegrityError:  # held concurrently by another request
        again = session.connection().execute(
            select(I.c.id).where(
                I.c.result_external_id == row["result_external_id"],
                I.c.content_hash == row["content_hash"],
            )
        )
        return int(again.scalar_one()), False


def get_item(session: Session, item_id: int) -> InboxItem | None:
    """One inbox item, or None."""
    row = session.connection().execute(select(I).where(I.c.id == item_id)).first()
    return _item(row) if row else None


def list_items(
    session: Session, *, size: int, after_id: int | None, state: str | None, reason: str | None
) -> list[InboxItem]:
    """Up to `size + 1` items after the cursor, oldest first."""
    query = select(I).order_by(I.c.id).limit(size + 1)
    if after_id is not None:
        query = query.where(I.c.id > after_id)
    if state is not None:
        query = query.where(I.c.state == state)
    if reason is not None:
        query = query.where(I.c.reason == reason)
    return [_item(r) for r in session.connection().execute(query)]


def held_for_person(session: Session, person_key: str) -> list[InboxItem]:
    """Items held because their person `person_key` was not registered."""
    query = (
        select(I)
        .where(I.c.state == HELD, I.c.person_key == person_key, I.c.reason == UNKNOWN_PERSON)
        .order_by(I.c.id)
    )
    return [_item(r) for r in session.connection().execute(query)]


def held_persons_now_known(session: Session, limit: int) -> list[str]:
    """Person keys of held items whose person has since been registered."""
    query = (
        select(I.c.person_key)
        .distinct()
        .where(
            I.c.state == HELD,
            I.c.reason == UNKNOWN_PERSON,
            I.c.person_key.in_(select(P.c.external_id)),
        )
        .limit(limit)
    )
    return [str(r.person_key) for r in session.connection().execute(query)]


def mark_matched(
    session: Session, item_id: int, person: str, version: int, actor: str, now: datetime
) -> bool:
    """Close a held item (conditional: False when someone else matched it first)."""
    done = session.connection().execute(
        update(I)
        .where(I.c.id == item_id, I.c.state == HELD)
        .values(
            state=MATCHED,
            matched_at=now,
            matched_by=actor[:200],
            matched_person=person,
            matched_version=version,
        )
    )
    return bool(done.rowcount)


def note_failure(session: Session, item_id: int, detail: str) -> None:
    """Keep an item held and say why matching it did not work."""
    session.connection().execute(
        update(I).where(I.c.id == item_id, I.c.state == HELD).values(detail=detail[:500])
    )
