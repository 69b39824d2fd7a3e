"""Queue a report for each new positive, and a correction or cancel for each reported one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from services.screening.domain.reports import report_kind, still_reported
from services.screening.public_health import repository
from services.screening.public_health.wake import wake_after_commit
from services.screening.results.repository import ResultRow
from services.screening.settings import ScreeningSettings
from shared.vocabulary import ResultMethod, ResultValue, TestType

_deadline: timedelta | None = None


def report_deadline() -> timedelta:
    """WARDGATE_REPORT_DEADLINE_H, read once per process."""
    global _deadline
    if _deadline is None:
        _deadline = timedelta(hours=ScreeningSettings().wardgate_report_deadline_h)
    return _deadline


def set_report_deadline(deadline: timedelta | None) -> None:
    """Use this deadline from now on (the service's settings at startup; None: read again)."""
    global _deadline
    _deadline = deadline


def _candidate(row: ResultRow) -> bool:
    """A version that may call for a report: a positive, or a later version of a result (a
    correction or void of one that may have been reported). A first negative never does, so a
    batch of them reads nothing here (the batch is benchmarked)."""
    return (
        row.test_type == TestType.NUCLEIC_ACID
        and row.method == ResultMethod.INDIVIDUAL
        and (row.version > 1 or row.result == ResultValue.POSITIVE)
    )


def queue_reports(session: Session, rows: Sequence[ResultRow], now: datetime) -> None:
    """Queue a report for each new positive, and a correction or cancel for each reported one.

    In the result's own transaction: the report exists exactly when the result version does.
    The delivery worker is woken once the transaction commits."""
    candidates = sorted((r for r in rows if _candidate(r)), key=lambda r: (r.id, r.version))
    if not candidates:
        return
    kinds = repository.report_kinds(session, {r.external_id for r in candidates})
    due_in = report_deadline()
    queued: list[dict[str, Any]] = []
    for row in candidates:
        earlier = kinds.setdefault(row.external_id, [])
        kind = report_kind(
            test_type=row.test_type,
            method=row.method,
            status=row.status,
            result=row.result,
            reported=still_reported(earlier),
        )
        if kind is None:
            continue
        earlier.append(kind)
        queued.append(
            {
                "result_id": row.id,
                "result_external_id": row.external_id,
                "result_version": row.version,
                "person_external_id": row.person_external_id,
                "kind": kind.value,
                "received_at": row.recorded_at,
                "due_at": row.recorded_at + due_in,
                "created_at": now,
                "attempts": 0,
                "next_attempt_at": now,
            }
        )
    if queued:
        repository.add_reports(session, queued)
        wake_after_commit(session)
