"""The compliance report: what the gate did in a period, audited as read."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlmodel import Session

from services.discharge.discharges.schemas import DischargeFilter
from services.discharge.reports.repository import Totals, compliance_counts
from services.discharge.reports.schemas import DayTotals, DepartmentTotals, DischargeCompliance
from services.discharge.reviews.service import open_review_count
from shared.audit import AuditTrail


def _counts(totals: Totals) -> dict[str, int]:
    return asdict(totals)


def discharge_compliance(
    session: Session, audit: AuditTrail, from_: datetime | None, to: datetime | None
) -> DischargeCompliance:
    """Totals, discharges without evidence, by department and by day for [from_, to)."""
    counts = compliance_counts(session, DischargeFilter(from_=from_, to=to))
    audit.record(
        "compliance.read",
        "compliance/discharges",
        outcome="ok",
        period_from=from_.isoformat() if from_ else None,
        period_to=to.isoformat() if to else None,
    )
    return DischargeCompliance(
        from_=from_,
        to=to,
        **_counts(counts.totals),
        discharged_without_evidence=counts.discharged_without_evidence,
        open_reviews=open_review_count(session),
        by_department=[
            DepartmentTotals(department=d.department, **_counts(d.totals))
            for d in counts.by_department
        ],
        by_day=[DayTotals(day=d.day, **_counts(d.totals)) for d in counts.by_day],
    )
