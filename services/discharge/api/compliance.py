"""GET /compliance/discharges: the auditors' report on the gate."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.discharge.api.deps import ReportReader
from services.discharge.repository import DischargeFilter, compliance_report
from services.discharge.schemas import DischargeCompliance
from shared.audit import Audit
from shared.db import DbSession
from shared.fields import Timestamp

router = APIRouter(tags=["compliance"])


@router.get(
    "/compliance/discharges",
    response_model=DischargeCompliance,
    response_model_by_alias=True,
    summary="Discharge compliance report for a period",
    description=(
        "`total` = `discharged` + `exceptions` + `blocked_attempts` over attempts recorded in"
        " [`from`, `to`). `discharged_without_evidence` counts discharges whose stored evidence"
        " lacks a counting negative nucleic acid, IgM or IgG result: computed by a query, and 0"
        " unless the gate was bypassed. `by_department` and `by_day` (hospital-local days,"
        " `WARDGATE_TIMEZONE`) break the totals down. Roles: infection_control, auditor, admin."
    ),
)
def discharge_compliance(
    session: DbSession,
    audit: Audit,
    _reader: ReportReader,
    from_: Annotated[Timestamp | None, Query(alias="from", description="Inclusive.")] = None,
    to: Annotated[Timestamp | None, Query(description="Exclusive.")] = None,
) -> dict[str, Any]:
    filters = DischargeFilter(from_=from_, to=to)
    report = compliance_report(session, filters)
    audit.record(
        "compliance.read",
        "compliance/discharges",
        outcome="ok",
        period_from=from_.isoformat() if from_ else None,
        period_to=to.isoformat() if to else None,
    )
    return {"from": from_, "to": to, **report}
