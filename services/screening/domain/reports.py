"""Early reporting to public health: which result versions are reported, and as what; where a
report stands; the compliance figures of a set of reports. Pure rules, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from shared.vocabulary import (
    COUNTING_STATUSES,
    ReportKind,
    ReportState,
    ResultMethod,
    ResultStatus,
    ResultValue,
    TestType,
)


def report_kind(
    *, test_type: str, method: str, status: str, result: str | None, reported: bool
) -> ReportKind | None:
    """The report a new result version calls for, or None.

    `reported`: an earlier version of the same result was reported and not cancelled since.
    A final or corrected individual positive nucleic acid not yet reported -> `initial`; a
    correction of a reported result (whatever it now reads) -> `correction`; a reported result
    entered in error -> `cancel`. Pooled results are never reported (their retests are).
    """
    if test_type != TestType.NUCLEIC_ACID or method != ResultMethod.INDIVIDUAL:
        return None
    if reported:
        if status == ResultStatus.CORRECTED:
            return ReportKind.CORRECTION
        if status == ResultStatus.ENTERED_IN_ERROR:
            return ReportKind.CANCEL
        return None
    if status in COUNTING_STATUSES and result == ResultValue.POSITIVE:
        return ReportKind.INITIAL
    return None


def still_reported(kinds_oldest_first: Iterable[str]) -> bool:
    """Whether public health holds the result as reported: a report went out, not cancelled."""
    last = None
    for kind in kinds_oldest_first:
        last = kind
    return last is not None and last != ReportKind.CANCEL


def report_state(
    *, delivered_at: datetime | None, due_at: datetime, attempts: int, now: datetime
) -> ReportState:
    """delivered; else overdue once past `due_at`; else failed after a failed attempt; else
    pending. An overdue or failed report is still retried."""
    if delivered_at is not None:
        return ReportState.DELIVERED
    if now > due_at:
        return ReportState.OVERDUE
    if attempts > 0:
        return ReportState.FAILED
    return ReportState.PENDING


@dataclass(frozen=True)
class ReportTimes:
    """What the compliance figures read of one report."""

    received_at: datetime
    due_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True)
class ReportCompliance:
    """`GET /compliance/reports`: every report in the window, how each fared."""

    total: int
    on_time: int
    late: int
    overdue: int
    median_minutes: float | None


def compliance(reports: Iterable[ReportTimes], now: datetime) -> ReportCompliance:
    """on_time: delivered by `due_at`; late: delivered after it; overdue: not delivered and past
    it; the rest (not delivered, not yet due) count in `total` only. `median_minutes`: from
    arrival to delivery over the delivered ones (None when none was delivered)."""
    total = on_time = late = overdue = 0
    minutes: list[float] = []
    for r in reports:
        total += 1
        if r.delivered_at is None:
            overdue += now > r.due_at
            continue
        if r.delivered_at <= r.due_at:
            on_time += 1
        else:
            late += 1
        minutes.append((r.delivered_at - r.received_at) / timedelta(minutes=1))
    middle = round(median(minutes), 2) if minutes else None
    return ReportCompliance(total, on_time, late, overdue, middle)
