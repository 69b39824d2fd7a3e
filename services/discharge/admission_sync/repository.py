"""All SQL of the admission-end outbox: queued with the discharge, claimed and marked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlmodel import Session

from services.discharge.models import Discharge
from services.discharge.models import outbox_table as O
from shared.db import is_postgres

D = Discharge.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class PendingEnd:
    """A queued admission end, claimed for one delivery, with the discharge it carries."""

    outbox_id: int
    attempts: int
    discharge_id: int
    patient_external_id: str
    admission_key: str
    disposition: str
    outcome: str
    created_at: datetime


def queue_admission_end(session: Session, discharge_id: int, now: datetime) -> None:
    """Queue the end of an admission in the caller's transaction (it commits with it)."""
    session.connection().execute(
        O.insert().values(
            discharge_id=discharge_id, created_at=now, attempts=0, next_attempt_at=now
        )
    )


def claim_due(session: Session, now: datetime, limit: int, lease: timedelta) -> list[PendingEnd]:
    """Ends due now, leased until `now + lease` (due again then if this worker dies).

    PostgreSQL skips rows another worker holds (FOR UPDATE SKIP LOCKED); SQLite serialises
    writers with BEGIN IMMEDIATE."""
    query = (
        select(
            O.c.id.label("outbox_id"),
            O.c.attempts,
            D.c.id.label("discharge_id"),
            D.c.patient_external_id,
            D.c.admission_key,
            D.c.disposition,
            D.c.outcome,
            D.c.created_at,
        )
        .select_from(O.join(D, D.c.id == O.c.discharge_id))
        .where(O.c.delivered_at.is_(None), O.c.next_attempt_at <= now)
        .order_by(O.c.next_attempt_at, O.c.id)
        .limit(limit)
    )
    if is_postgres(session):
        query = query.with_for_update(of=O, skip_locked=True)
    rows = [PendingEnd(**r._mapping) for r in session.connection().execute(query)]
    if rows:
        session.connection().execute(
            update(O)
            .where(O.c.id.in_([r.outbox_id for r in rows]))
            .values(next_attempt_at=now + lease)
        )
    return rows


def mark_delivered(session: Session, outbox_id: int, now: datetime) -> None:
    """Screening has applied (or had already applied) this end."""
    session.connection().execute(
        update(O).where(O.c.id == outbox_id).values(delivered_at=now, last_error=None)
    )


def mark_failed(session: Session, end: PendingEnd, retry_at: datetime, error: str) -> None:
    """Not delivered: try again at `retry_at`."""
    session.connection().execute(
        update(O)
        .where(O.c.id == end.outbox_id, O.c.delivered_at.is_(None))
        .values(attempts=end.attempts + 1, next_attempt_at=retry_at, last_error=error[:500])
    )


def pending_count(session: Session) -> int:
    """How many admission ends are not delivered yet."""
    query = select(func.count()).select_from(O).where(O.c.delivered_at.is_(None))
    return int(session.connection().execute(query).scalar_one())
