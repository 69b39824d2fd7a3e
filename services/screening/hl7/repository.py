"""SQL of the HL7 message ledger: accepted messages by sender and control id, with their ACK."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.screening.models import message_table as M


@dataclass(frozen=True)
class TakenMessage:
    """A message taken before: what it was (its fingerprint) and the ACK it was answered with."""

    fingerprint: str
    ack: str


def claim_message(
    session: Session, sender: str, control_id: str, fingerprint: str, actor: str, now: datetime
) -> TakenMessage | None:
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
            .execute(
                select(M.c.fingerprint, M.c.ack).where(
                    M.c.sender == sender, M.c.control_id == control_id
                )
            )
            .one()
        )
        return TakenMessage(row.fingerprint, row.ack)


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
