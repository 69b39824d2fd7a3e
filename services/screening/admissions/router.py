"""POST /admission-ends: the discharge service carries each discharge here (idempotent)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from services.screening.admissions.schemas import AdmissionEndCreate, AdmissionEndPublic
from services.screening.admissions.service import record_admission_end
from services.screening.web import utc_now
from shared.audit import Audit
from shared.auth import Principal, require
from shared.auth.roles import INTEGRATION
from shared.db import DbSession

router = APIRouter(tags=["admissions"])


@router.post(
    "/admission-ends",
    response_model=AdmissionEndPublic,
    status_code=201,
    summary="Record how an admission ended (sent by the discharge service)",
    description=(
        "The discharge service's outbox worker sends every discharge and audited exception"
        " here. Applied once per `discharge_id`: 201 the first time, 200 with the stored end"
        " when it is sent again. From then on `GET /persons/{id}` carries the end in"
        " `admission`, and the person is no inpatient of a ward (compliance, exposures)."
        " 404 `unknown_person`. Role: integration."
    ),
    responses={
        200: {"description": "Already recorded", "model": AdmissionEndPublic},
        404: {"description": "No person with this external_id (`unknown_person`)."},
    },
)
def post_admission_end(
    body: AdmissionEndCreate,
    response: Response,
    session: DbSession,
    audit: Audit,
    principal: Annotated[Principal, Depends(require(INTEGRATION))],
) -> AdmissionEndPublic:
    recorded = record_admission_end(session, audit, principal, body, utc_now())
    response.status_code = 201 if recorded.created else 200
    return recorded.end
