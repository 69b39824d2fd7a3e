"""POST /discharge-checks: may this patient leave now? (Nothing is discharged.)"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from services.discharge.checks.records import list_checks
from services.discharge.checks.schemas import (
    DischargeCheckCreate,
    DischargeCheckPublic,
    DischargeCheckRecord,
)
from services.discharge.checks.service import check_discharge
from services.discharge.dependencies import ReportReader
from shared.audit import Audit
from shared.audit.trail import AsyncAuditTrail
from shared.auth.roles import CLINICAL_WRITERS
from shared.auth.routes import AuthorizedRoute, allowed, caller
from shared.db import DbSession
from shared.fields import Identifier
from shared.pagination import CursorParam, Limit, Page
from shared.web.answers import model_answer

router = APIRouter(tags=["discharge checks"], route_class=AuthorizedRoute)


@router.post(
    "/discharge-checks",
    response_model=DischargeCheckPublic,
    summary="Check whether a patient may be discharged now",
    description=(
        "Evaluates the discharge rule against the patient's results in the screening service"
        " at this moment and stores the check with its evidence (append-only). Always 200:"
        " `eligible` is false with every reason otherwise (`missing`, `expired`, `positive`,"
        " `indeterminate`, `pending`, `needs_two_negatives`, `not_inpatient`,"
        " `unknown_patient`, `screening_unavailable`, `pooled_only` (the newest negative nucleic"
        " acid in the window is pooled: a pooled result never counts here),"
        " `already_discharged` once this admission"
        " ended with a discharge or exception). Fails closed: when the screening service"
        " cannot answer correctly within `SCREENING_TIMEOUT_S`, the answer is not eligible"
        " with `screening_unavailable`. Roles: integration, nurse, doctor, infection_control."
    ),
    name="check_discharge",
)
@allowed(*CLINICAL_WRITERS)  # checked before the body is read: one dependency less (hot path)
async def discharge_check_route(body: DischargeCheckCreate, request: Request) -> Response:
    # A hot path: async end to end (one call to screening, one transaction), the answer
    # serialised once.
    state = request.app.state
    check = await check_discharge(
        state.db,
        AsyncAuditTrail(request),
        caller(request),
        state.screening,
        state.settings.rule_windows(),
        body.patient_external_id,
    )
    return model_answer(check)


@router.get(
    "/discharge-checks",
    response_model=Page[DischargeCheckRecord],
    summary="List stored discharge checks, newest first",
    description=(
        "Every stored check (append-only) with its reasons and evidence as seen, newest"
        " first, optionally of one patient. Roles: infection_control, auditor, admin."
    ),
)
def list_discharge_checks(
    session: DbSession,
    audit: Audit,
    _reader: ReportReader,
    patient_external_id: Identifier | None = None,
    limit: Limit = None,
    cursor: CursorParam = None,
) -> Response:
    page = list_checks(session, audit, patient_external_id, limit, cursor)
    return JSONResponse(page.model_dump(mode="json"))
