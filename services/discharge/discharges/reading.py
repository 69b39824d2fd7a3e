"""The pages' reads of stored attempts that the API does not need: rows for a page's CSV.

The API's own CSV (`GET /discharges` with `Accept: text/csv`) is built in `export.py`; the
discharge pages write theirs in the reader's language (codes with their words) through
`shared.web.csv_export`, from the same pages of rows.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.engine import Engine

from services.discharge.discharges import repository
from services.discharge.discharges.schemas import DischargeFilter, DischargePublic
from services.discharge.discharges.service import public
from shared.audit import AuditTrail


def attempt_pages(
    engine: Engine, audit: AuditTrail, filters: DischargeFilter
) -> Iterator[list[DischargePublic]]:
    """Every matching attempt, a page at a time, read while sent (the export audited now)."""
    audit.record(
        "discharge.export",
        "discharges",
        period_from=filters.from_.isoformat() if filters.from_ else None,
        period_to=filters.to.isoformat() if filters.to else None,
        department=filters.department,
        outcome_filter=filters.outcome,
        patient_external_id=filters.patient_external_id,
    )
    return ([public(d) for d in page] for page in repository.export_pages(engine, filters))
