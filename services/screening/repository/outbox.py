"""The alert outbox: written with the result, claimed and marked by the delivery worker."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session

from services.screening.models import outbox_table as O
from shared.db import is_postgres


@dataclass(frozen=True)
class DueAlert:
    """An alert claimed for one delivery round."""

    id: int
    payload: str
    attempts: int
    delivered_to: frozenset[str]


def add_alerts(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Queue alerts in the caller's transaction (one statement for all of them)."""
    if rows:
        session.connection().execute(O.insert(), list(rows))


def claim_due(session: Session, now: datetime, limit: int, lease: timedelta) -> list[DueAlert]:
    """Alerts due now, leased to this worker until `now + lease` (then due again if it dies).

    On PostgreSQL rows another worker holds are skipped (FOR UPDATE SKIP LOCKED); SQLite
    serialises writers with BEGIN IMMEDIATE.
    """
    query = (
        select(O.c.id, O.c.payload, O.c.attempts, O.c.delivered_to)
        .where(O.c.delivered_at.is_(None), O.c.next_attempt_at <= now)
        .order_by(O.c.next_attempt_at, O.c.id)
        .limit(limit)
    )
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    rows = list(session.connection().execute(query))
    if rows:
        session.connection().execute(
            update(O).where(O.c.id.in_([r.id for r in rows])).values(next_attempt_at=now + lease)
        )
    return [
        DueAlert(r.id, r.payload, r.attempts, frozenset(u for u in r.delivered_to.split("\n") if u))
        for r in rows
    ]


def record_delivery(
    session: Session,
    alert: DueAlert,
    *,
    delivered_to: frozenset[str],
    done_at: datetime | None,
    next_attempt_at: datetime,
    error: str | None,
) -> None:
    """Store the outcome of one delivery round."""
    session.connection().execute(
        update(O)
        .where(O.c.id == alert.id)
        .values(
            delivered_to="\n".join(sorted(delivered_to)),
            delivered_at=done_at,
            attempts=alert.attempts + 1,
            next_attempt_at=next_attempt_at,
            last_error=error[:500] if error else None,
        )
    )


def outbox_rows(session: Session) -> list[dict[str, Any]]:
    """Every outbox row, oldest first (for operators and tests)."""
    return [dict(r._mapping) for r in session.connection().execute(select(O).order_by(O.c.id))]


def store_payload(session: Session, alert_id: int, payload: str) -> None:
    """Fix the document an alert is delivered with (its exposure list, once traced)."""
    session.connection().execute(update(O).where(O.c.id == alert_id).values(payload=payload))


def requeue_follow_up(
    session: Session, alert_id: int, payload: str, next_attempt_at: datetime
) -> None:
    """Turn a delivered alert into its follow-up: a new document, due to every webhook again."""
    session.connection().execute(
        update(O)
        .where(O.c.id == alert_id)
        .values(
            payload=payload,
            delivered_to="",
            delivered_at=None,
            attempts=0,
            next_attempt_at=next_attempt_at,
            last_error=None,
        )
    )
