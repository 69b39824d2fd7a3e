"""All SQL of the alert outbox: written with the result, claimed and marked by the worker,
and read by infection control (the alerts not yet delivered)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, select, update
from sqlmodel import Session

from services.screening.models import outbox_table as O
from services.screening.models import person_table as P
from services.screening.models import result_table as R
from shared.db import is_postgres


@dataclass(frozen=True)
class DueAlert:
    """An alert claimed for one delivery round."""

    id: int
    payload: str
    attempts: int
    delivered_to: frozenset[str]
    leased_until: datetime | None = None  # the claim's lease; None: not claimed by a worker


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
    leased_until = now + lease
    if rows:
        session.connection().execute(
            update(O).where(O.c.id.in_([r.id for r in rows])).values(next_attempt_at=leased_until)
        )
    return [
        DueAlert(
            r.id,
            r.payload,
            r.attempts,
            frozenset(u for u in r.delivered_to.split("\n") if u),
            leased_until,
        )
        for r in rows
    ]


def _held(alert: DueAlert) -> ColumnElement[bool]:
    """Only while this worker's lease stands: once it ran out another worker owns the alert,
    and a late outcome (a failure, say) must not overwrite that worker's."""
    if alert.leased_until is None:
        return and_(O.c.id == alert.id)
    return and_(O.c.id == alert.id, O.c.next_attempt_at == alert.leased_until)


def record_delivery(
    session: Session,
    alert: DueAlert,
    *,
    delivered_to: frozenset[str],
    done_at: datetime | None,
    next_attempt_at: datetime,
    error: str | None,
) -> bool:
    """Store the outcome of one delivery round; False when the lease had passed to another."""
    done = session.connection().execute(
        update(O)
        .where(_held(alert))
        .values(
            delivered_to="\n".join(sorted(delivered_to)),
            delivered_at=done_at,
            attempts=alert.attempts + 1,
            next_attempt_at=next_attempt_at,
            last_error=error[:500] if error else None,
        )
    )
    return bool(done.rowcount)


def store_payload(session: Session, alert_id: int, payload: str) -> None:
    """Fix the document an alert is delivered with (its exposure list, once traced)."""
    session.connection().execute(update(O).where(O.c.id == alert_id).values(payload=payload))


def requeue_follow_up(
    session: Session, alert: DueAlert, payload: str, next_attempt_at: datetime
) -> bool:
    """Turn a delivered alert into its follow-up: a new document, due to every webhook again."""
    done = session.connection().execute(
        update(O)
        .where(_held(alert))
        .values(
            payload=payload,
            delivered_to="",
            delivered_at=None,
            attempts=0,
            next_attempt_at=next_attempt_at,
            last_error=None,
        )
    )
    return bool(done.rowcount)


@dataclass(frozen=True, slots=True)
class OpenAlert:
    """An alert not yet delivered to every webhook, with the result and person it is about."""

    id: int
    created_at: datetime
    attempts: int
    last_error: str | None
    result_external_id: str
    test_type: str
    result: str | None
    person_external_id: str
    person_name: str
    department: str


def open_alerts(session: Session, since: datetime, limit: int) -> list[OpenAlert]:
    """Undelivered alerts raised since `since`, newest first."""
    query = (
        select(
            O.c.id,
            O.c.created_at,
            O.c.attempts,
            O.c.last_error,
            R.c.external_id.label("result_external_id"),
            R.c.test_type,
            R.c.result,
            P.c.external_id.label("person_external_id"),
            P.c.name.label("person_name"),
            P.c.department,
        )
        .select_from(
            O.join(R, R.c.id == O.c.result_id).join(P, P.c.external_id == R.c.person_external_id)
        )
        .where(O.c.delivered_at.is_(None), O.c.created_at >= since)
        .order_by(O.c.created_at.desc(), O.c.id.desc())
        .limit(limit)
    )
    return [OpenAlert(**r._mapping) for r in session.connection().execute(query)]
