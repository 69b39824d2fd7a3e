"""What the report routes answer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from services.screening.domain.reports import ReportCompliance, report_state
from services.screening.public_health.repository import ReportRow
from shared.vocabulary import ReportKind, ReportState


class ReportPublic(BaseModel):
    """One report to public health in the ledger."""

    id: int
    result_external_id: str
    result_version: int = Field(description="The result version this report carries.")
    person_external_id: str
    kind: ReportKind
    received_at: datetime = Field(description="When the result version reached WardGate.")
    due_at: datetime
    delivered_at: datetime | None = None
    attempts: int
    state: ReportState
    last_error: str | None = None


class ReportCompliancePublic(BaseModel):
    """How the reports of a window fared against their deadline."""

    total: int = Field(description="Reports whose result reached WardGate in the window.")
    on_time: int = Field(description="Delivered by `due_at`.")
    late: int = Field(description="Delivered after `due_at`.")
    overdue: int = Field(description="Not delivered, `due_at` passed (still retried).")
    median_minutes: float | None = Field(
        description="Median minutes from the result's arrival to delivery (delivered ones)."
    )


def report_public(row: ReportRow, now: datetime) -> ReportPublic:
    """A ledger row as answered."""
    state = report_state(
        delivered_at=row.delivered_at, due_at=row.due_at, attempts=row.attempts, now=now
    )
    return ReportPublic(
        id=row.id,
        result_external_id=row.result_external_id,
        result_version=row.result_version,
        person_external_id=row.person_external_id,
        kind=ReportKind(row.kind),
        received_at=row.received_at,
        due_at=row.due_at,
        delivered_at=row.delivered_at,
        attempts=row.attempts,
        state=state,
        last_error=row.last_error,
    )


def compliance_public(figures: ReportCompliance) -> ReportCompliancePublic:
    """The compliance figures as answered."""
    return ReportCompliancePublic(
        total=figures.total,
        on_time=figures.on_time,
        late=figures.late,
        overdue=figures.overdue,
        median_minutes=figures.median_minutes,
    )
