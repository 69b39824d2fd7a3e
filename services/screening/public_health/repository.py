"""All SQL of the reports to public health: queued with the result, claimed (leased) and marked
by the delivery worker, read as a ledger and as compliance figures."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, select, true, update
from sqlmodel import Session

from services.screening.models import person_table as P
from services.screening.models import result_table as R
from services.screening.public_health.tables import report_table as T
from services.screening.results.repository import ResultRow
from shared.db import is_postgres
from shared.vocabulary import ReportState

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class DueReport:
    """A report claimed for one delivery attempt, leased to this worker until `leased_until`."""

    id: int
    result_id: int
    kind: str
    attempts: int
    leased_until: datetime
    created_at: datetime  # when it was queued: the document's timestamp on every attempt


@dataclass(frozen=True, slots=True)
class ReportedPerson:
    """What a report tells of the person (public health needs to find the case)."""

    external_id: str
    name: str
    category: str
    department: str
    phone: str | None
    id_number: str | None


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One report as the ledger shows it (with the person's name for the page only)."""

    id: int
    result_external_id: str
    result_version: int
    person_external_id: str
    kind: str
    received_at: datetime
    due_at: datetime
    delivered_at: datetime | None
    attempts: int
    last_error: str | None
    channel: str | None
    person_name: str | None = None


def report_kinds(session: Session, external_ids: Iterable[str]) -> dict[str, list[str]]:
    """The kinds of the reports already queued for these results, oldest first."""
    found: dict[str, list[str]] = {}
    ids = sorted(set(external_ids))
    for start in range(0, len(ids), _CHUNK):
        query = (
            select(T.c.result_external_id, T.c.kind)
            .where(T.c.result_external_id.in_(ids[start : start + _CHUNK]))
            .order_by(T.c.result_external_id, T.c.id)
        )
        for row in session.connection().execute(query):
            found.setdefault(row.result_external_id, []).append(row.kind)
    return found


def add_reports(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Queue reports in the caller's transaction (one statement for all of them)."""
    if rows:
        session.connection().execute(T.insert(), list(rows))


def claim_due(session: Session, now: datetime, lease: timedelta) -> DueReport | None:
    """The next report due now, leased until `now + lease` (then due again if the worker dies).

    On PostgreSQL a row another worker holds is skipped (FOR UPDATE SKIP LOCKED); SQLite
    serialises writers."""
    query = (
        select(T.c.id, T.c.result_id, T.c.kind, T.c.attempts, T.c.created_at)
        .where(T.c.delivered_at.is_(None), T.c.next_attempt_at <= now)
        .order_by(T.c.next_attempt_at, T.c.id)
        .limit(1)
    )
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    row = session.connection().execute(query).first()
    if row is None:
        return None
    leased_until = now + lease
    session.connection().execute(
        update(T).where(T.c.id == row.id).values(next_attempt_at=leased_until)
    )
    return DueReport(row.id, row.result_id, row.kind, row.attempts, leased_until, row.created_at)


def _held(report: DueReport) -> ColumnElement[bool]:
    # Only while this worker's lease stands: a late outcome must not overwrite the next one's.
    return and_(
        T.c.id == report.id,
        T.c.next_attempt_at == report.leased_until,
        T.c.delivered_at.is_(None),
    )


def record_attempt(
    session: Session,
    report: DueReport,
    *,
    delivered_at: datetime | None,
    next_attempt_at: datetime,
    channel: str,
    error: str | None,
) -> bool:
    """Store one attempt's outcome; False when the lease had passed to another worker."""
    done = session.connection().execute(
        update(T)
        .where(_held(report))
        .values(
            attempts=report.attempts + 1,
            delivered_at=delivered_at,
            next_attempt_at=next_attempt_at,
            channel=channel if delivered_at is not None else None,
            last_error=error[:500] if error else None,
        )
    )
    return bool(done.rowcount)


def report_content(session: Session, result_id: int) -> tuple[ResultRow, ReportedPerson]:
    """The result version a report carries and its person."""
    result = session.connection().execute(select(R).where(R.c.id == result_id)).one()
    person = (
        session.connection()
        .execute(
            select(
                P.c.external_id,
                P.c.name,
                P.c.category,
                P.c.department,
                P.c.phone,
                P.c.id_number,
            ).where(P.c.external_id == result.person_external_id)
        )
        .one()
    )
    return ResultRow(**result._mapping), ReportedPerson(**person._mapping)


_LEDGER = (
    T.c.id,
    T.c.result_external_id,
    T.c.result_version,
    T.c.person_external_id,
    T.c.kind,
    T.c.received_at,
    T.c.due_at,
    T.c.delivered_at,
    T.c.attempts,
    T.c.last_error,
    T.c.channel,
)


def state_is(state: ReportState | None, now: datetime) -> ColumnElement[bool]:
    """The SQL of `domain.reports.report_state(...) == state` (any state when None)."""
    undelivered = T.c.delivered_at.is_(None)
    match state:
        case ReportState.DELIVERED:
            return and_(T.c.delivered_at.is_not(None))
        case ReportState.OVERDUE:
            return and_(undelivered, T.c.due_at < now)
        case ReportState.FAILED:
            return and_(undelivered, T.c.due_at >= now, T.c.attempts > 0)
        case ReportState.PENDING:
            return and_(undelivered, T.c.due_at >= now, T.c.attempts == 0)
    everything: ColumnElement[bool] = true()
    return everything


@dataclass(frozen=True)
class LedgerFilter:
    """`GET /reports`: a state, and a window on when the result reached WardGate."""

    state: ReportState | None = None
    start: datetime | None = None
    end: datetime | None = None


def _window(who: LedgerFilter) -> list[ColumnElement[bool]]:
    where = []
    if who.start is not None:
        where.append(T.c.received_at >= who.start)
    if who.end is not None:
        where.append(T.c.received_at < who.end)
    return where


def ledger(
    session: Session, who: LedgerFilter, now: datetime, *, size: int, before_id: int | None
) -> list[ReportRow]:
    """Reports newest first (by id), `size` of them after the cursor's row."""
    query = select(*_LEDGER).where(state_is(who.state, now), *_window(who))
    if before_id is not None:
        query = query.where(T.c.id < before_id)
    query = query.order_by(T.c.id.desc()).limit(size)
    return [ReportRow(**r._mapping) for r in session.connection().execute(query)]


def open_reports(session: Session, limit: int) -> list[ReportRow]:
    """Reports not yet delivered, the earliest due first, with the person's name."""
    query = (
        select(*_LEDGER, P.c.name.label("person_name"))
        .select_from(T.outerjoin(P, P.c.external_id == T.c.person_external_id))
        .where(T.c.delivered_at.is_(None))
        .order_by(T.c.due_at, T.c.id)
        .limit(limit)
    )
    return [ReportRow(**r._mapping) for r in session.connection().execute(query)]


def recent_delivered(session: Session, limit: int) -> list[ReportRow]:
    """The latest delivered reports, newest first, with the person's name."""
    query = (
        select(*_LEDGER, P.c.name.label("person_name"))
        .select_from(T.outerjoin(P, P.c.external_id == T.c.person_external_id))
        .where(T.c.delivered_at.is_not(None))
        .order_by(T.c.id.desc())
        .limit(limit)
    )
    return [ReportRow(**r._mapping) for r in session.connection().execute(query)]


def report_times(
    session: Session, start: datetime | None, end: datetime | None
) -> list[tuple[datetime, datetime, datetime | None]]:
    """(received_at, due_at, delivered_at) of every report that arrived in the window."""
    query = select(T.c.received_at, T.c.due_at, T.c.delivered_at).where(
        *_window(LedgerFilter(None, start, end))
    )
    return [(r.received_at, r.due_at, r.delivered_at) for r in session.connection().execute(query)]


def window_reports(
    session: Session, start: datetime | None, end: datetime | None, limit: int
) -> list[ReportRow]:
    """Reports whose result arrived in the window, oldest first, with the person's name."""
    query = (
        select(*_LEDGER, P.c.name.label("person_name"))
        .select_from(T.outerjoin(P, P.c.external_id == T.c.person_external_id))
        .where(*_window(LedgerFilter(None, start, end)))
        .order_by(T.c.received_at, T.c.id)
        .limit(limit)
    )
    return [ReportRow(**r._mapping) for r in session.connection().execute(query)]
