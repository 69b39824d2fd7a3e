"""Check-in at the door with entry screening, and the list of every attempt."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from services.appointments.check_ins import service
from services.appointments.check_ins.schemas import CheckInCreate, CheckInPublic, CheckInResult
from services.appointments.entrance.verifier import HealthCodeVerifier, health_code_verifier
from services.appointments.inputs import HospitalTime
from services.appointments.routing import CodeFilter, Now, RecordId, Settings
from shared.audit import Audit
from shared.auth import Principal, require
from shared.auth.roles import ADMIN, AUDITOR, WARD_STAFF
from shared.db import DbSession
from shared.errors import Problem
from shared.pagination import CursorParam, Limit, Page
from shared.web.problems import problem_response

router = APIRouter(tags=["check-ins"])


@router.post(
    "/appointments/{appointment_id}/check-in",
    response_model=CheckInResult,
    summary="Check a patient in with entry screening",
    description=(
        "Temperature at or above the fever threshold (default 37.3 C), a yellow or red health "
        "code or risk-area travel -> `redirected_fever_clinic`; otherwise no mask -> `refused` "
        "(the patient may check in again with a mask); otherwise `admitted`. Every attempt is "
        "kept with its readings. Outside the arrival window (15 minutes before the slot until "
        "its end) -> 409 `outside_arrival_window`. A `temperature_c` outside 34.0-42.0 C is a "
        "thermometer error, not a reading: 422 (`implausible_temperature`, re-measure). After "
        "`admitted` or `redirected_fever_clinic` the decision stands (409). "
        "With `health_code_payload` (the scanned health-code QR) the colour comes from the "
        "verifier (`WARDGATE_HEALTH_CODE_VERIFIER`) and `health_code` may be left out; a code "
        "that fails verification (bad signature, expired, unknown key, another person's name "
        "or identity number) -> `refused` with reason `health_code_invalid`. Verifier "
        "unreachable: the typed `health_code` is used (`health_code_source: manual`, audited), "
        "without one 503 `health_code_unavailable`. Nurses, doctors, infection control."
    ),
    responses={
        409: {"description": "Outside the window, or not a booked appointment"},
        503: {"description": "Verifier unreachable and no colour typed"},
    },
)
def check_in(
    appointment_id: RecordId,
    body: CheckInCreate,
    principal: Annotated[Principal, Depends(require(*WARD_STAFF))],
    session: DbSession,
    audit: Audit,
    settings: Settings,
    now: Now,
    verifier: Annotated[HealthCodeVerifier, Depends(health_code_verifier)],
) -> CheckInResult | Response:
    result = service.check_in(
        session, audit, principal, appointment_id, body, settings, now, verifier
    )
    if isinstance(result, Problem):  # refused, its audit row committed with the request
        return problem_response(result)
    return result


@router.get(
    "/check-ins",
    response_model=Page[CheckInPublic],
    summary="List check-in attempts",
    description=(
        "Every attempt whatever its outcome, oldest first, by department and/or patient; "
        "`from` inclusive, `to` exclusive. Used by exposure tracing. Nurses, doctors, "
        "infection control, auditors and admins."
    ),
    dependencies=[Depends(require(*WARD_STAFF, AUDITOR, ADMIN))],
)
def list_check_ins(
    session: DbSession,
    audit: Audit,
    settings: Settings,
    department: CodeFilter = None,
    patient_external_id: CodeFilter = None,
    from_: Annotated[HospitalTime | None, Query(alias="from")] = None,
    to: HospitalTime | None = None,
    limit: Limit = None,
    cursor: CursorParam = None,
) -> Page[CheckInPublic]:
    narrowed = service.CheckInFilter(department, patient_external_id, from_, to)
    return service.list_check_ins(session, audit, narrowed, settings, limit, cursor)
