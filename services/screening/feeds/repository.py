"""SQL of the feeds: the inbox of held results and the ledger of accepted HL7 messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.screening.feeds.models import inbox_table as I
from services.screening.feeds.models import message_table as M

HELD = "held"
MATCHED = "matched"


def hold(session: Session, row: dict[str, Any]) -> tuple[int, bool]:
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


def get_item(session: Session, item_id: int) -> dict[str, Any] | None:
    """One inbox item, or None."""
    row = session.connection().execute(select(I).where(I.c.id == item_id)).first()
    return dict(row._mapping) if row else None


def list_items(
    session: Session, *, size: int, after_id: int | None, state: str | None, reason: str | None
) -> list[dict[str, Any]]:
    """Up to `size + 1` items after the cursor, oldest first."""
    query = select(I).order_by(I.c.id).limit(size + 1)
    if after_id is not None:
        query = query.where(I.c.id > after_id)
    if state is not None:
        query = query.where(I.c.state == state)
    if reason is not None:
        query = query.where(I.c.reason == reason)
    return [dict(r._mapping) for r in session.connection().execute(query)]


def held_for_person(session: Session, person_key: str) -> list[dict[str, Any]]:
    """Items held because their person `person_key` was not registered."""
    query = (
        select(I)
        .where(I.c.state == HELD, I.c.person_key == person_key, I.c.reason == "unknown_person")
        .order_by(I.c.id)
    )
    return [dict(r._mapping) for r in session.connection().execute(query)]


def held_persons_now_known(session: Session, person_table: Any, limit: int) -> list[str]:
    """Person keys of held items whose person has since been registered."""
    query = (
        select(I.c.person_key)
        .distinct()
        .where(
            I.c.state == HELD,
            I.c.reason == "unknown_person",
            I.c.person_key.in_(select(person_table.c.external_id)),
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


def claim_message(
    session: Session, sender: str, control_id: str, fingerprint: str, actor: str, now: datetime
) -> dict[str, Any] | None:
    """Record a message as being taken; the earlier record when it was taken before."""
    try:
        with session.begin_nested():
            session.connection().execute(
                M.insert().values(
                    sender=sender,
                    control_id=control_id,
                    fingerprint=fingerprint,
                    ack="",
                    received_at=now,
                    recorded_by=actor[:200],
                )
            )
            return None
    except IntegrityError:
        row = (
            session.connection()
            .execute(select(M).where(M.c.sender == sender, M.c.control_id == control_id))
            .one()
        )
        return dict(row._mapping)


def remember_ack(session: Session, sender: str, control_id: str, ack: str) -> None:
    """Store the ACK a message was answered with (replayed for a re-send)."""
    session.connection().execute(
        update(M).where(M.c.sender == sender, M.c.control_id == control_id).values(ack=ack)
    )


def release_message(session: Session, sender: str, control_id: str) -> None:
    """Forget a message answered AE after part of it was taken: a corrected re-send is taken."""
    session.connection().execute(
        M.delete().where(M.c.sender == sender, M.c.control_id == control_id)
    )
