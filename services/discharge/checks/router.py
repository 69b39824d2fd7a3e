"""POST /discharge-checks: may this patient leave now? (Nothing is discharged.)"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.discharge.checks.schemas import DischargeCheckCreate, DischargeCheckPublic
from services.discharge.checks.service import check_discharge
from services.discharge.dependencies import ClinicalWriter
from shared.audit.trail import AsyncAuditTrail
from shared.web.answers import model_answer

router = APIRouter(tags=["discharge checks"])


@router.post(
    "/discharge-checks",
    response_model=DischargeCheckPublic,
    summary="Check whether a patient may be discharged now",
    description=(
        "Evaluates the discharge rule against the patient's results in the screening service"
        " at this moment and stores the check with its evidence (append-only). Always 200:"
        " `eligible` is false with every reason otherwise (`missing`, `expired`, `positive`,"
        " `indeterminate`, `pending`, `needs_two_negatives`, `not_inpatient`,"
        " `unknown_patient`, `screening_unavailable`). Fails closed: when the screening service"
        " cannot answer correctly within `SCREENING_TIMEOUT_S`, the answer is not eligible"
        " with `screening_unavailable`. Roles: integration, nurse, doctor, infection_control."
    ),
    name="check_discharge",
)
async def discharge_check_route(
    body: DischargeCheckCreate, request: Request, principal: ClinicalWriter
) -> Response:
    # A hot path: async end to end (one call to screening, one transaction), the answer
    # serialised once.
    state = request.app.state
    check = await check_discharge(
        state.db,
        AsyncAuditTrail(request),
        principal,
        state.screening,
        state.settings.rule_windows(),
        body.patient_external_id,
    )
    return model_answer(check)
