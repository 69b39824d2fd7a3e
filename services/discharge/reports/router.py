"""GET /compliance/discharges: the auditors' report on the gate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from services.discharge.dependencies import ReportReader
from services.discharge.reports.schemas import DischargeCompliance
from services.discharge.reports.service import discharge_compliance
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
        " `WARDGATE_TIMEZONE`) break the totals down. `open_reviews`: discharge reviews open"
        " now, whatever the period (see GET /discharge-reviews)."
        " Roles: infection_control, auditor, admin."
    ),
    name="discharge_compliance",
)
def discharge_compliance_route(
    session: DbSession,
    audit: Audit,
    _reader: ReportReader,
    from_: Annotated[Timestamp | None, Query(alias="from", description="Inclusive.")] = None,
    to: Annotated[Timestamp | None, Query(description="Exclusive.")] = None,
) -> Response:
    report = discharge_compliance(session, audit, from_, to)
    return JSONResponse(report.model_dump(mode="json", by_alias=True))
