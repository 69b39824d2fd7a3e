"""Reading the reports to public health: the ledger, its compliance figures, the page's view.
Every read is audited (the ledger names persons)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from services.screening.domain.reports import ReportCompliance, ReportTimes, compliance
from services.screening.public_health import repository
from services.screening.public_health.repository import LedgerFilter, ReportRow
from services.screening.public_health.schemas import ReportPublic, report_public
from shared.audit import AuditTrail
from shared.errors import Unprocessable, field_error
from shared.pagination import Page, Position, next_cursor, row_id_after

__all__ = ["LedgerFilter", "ledger", "report_compliance", "reports_export", "reports_view"]


def _check_window(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and not start < end:
        raise Unprocessable(
            "`from` must be before `to`.",
            code="validation_error",
            errors=[field_error("from", "must be before to", "window_reversed")],
        )


def ledger(
    session: Session,
    audit: AuditTrail,
    who: LedgerFilter,
    now: datetime,
    *,
    size: int,
    cursor: str | None,
) -> Page[ReportPublic]:
    """A page of reports, newest first; Unprocessable for a reversed window or a bad cursor."""
    _check_window(who.start, who.end)
    before = row_id_after(cursor)
    rows = repository.ledger(session, who, now, size=size + 1, before_id=before)
    rows, nxt = next_cursor(rows, size, lambda r: Position(r.id))
    audit.record(
        "report.list", "reports", state=who.state.value if who.state else None, count=len(rows)
    )
    return Page(items=[report_public(r, now) for r in rows], next_cursor=nxt)


def report_compliance(
    session: Session,
    audit: AuditTrail,
    start: datetime | None,
    end: datetime | None,
    now: datetime,
) -> ReportCompliance:
    """On time, late, overdue and the median minutes of the reports that arrived in the window."""
    _check_window(start, end)
    times = repository.report_times(session, start, end)
    figures = compliance((ReportTimes(*t) for t in times), now)
    audit.record("report.compliance", "reports", total=figures.total)
    return figures


@dataclass(frozen=True)
class ReportsView:
    """The page: reports not yet delivered (earliest due first), recent deliveries, figures."""

    open: list[ReportRow]
    delivered: list[ReportRow]
    figures: ReportCompliance


def reports_view(
    session: Session, audit: AuditTrail, start: datetime, end: datetime, now: datetime, rows: int
) -> ReportsView:
    """What the page shows, audited as one read."""
    _check_window(start, end)
    pending = repository.open_reports(session, rows)
    delivered = repository.recent_delivered(session, rows)
    times = repository.report_times(session, start, end)
    figures = compliance((ReportTimes(*t) for t in times), now)
    audit.record("report.page", "reports", open=len(pending), delivered=len(delivered))
    return ReportsView(pending, delivered, figures)


def reports_export(
    session: Session, audit: AuditTrail, start: datetime, end: datetime, limit: int
) -> list[ReportRow]:
    """Every report that arrived in the window (at most `limit`), oldest first, audited."""
    _check_window(start, end)
    rows = repository.window_reports(session, start, end, limit)
    audit.record("report.export", "reports", count=len(rows))
    return rows
