"""HTTP in and out: the entrance: verified health codes, walk-ins and the day's summary."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response

from services.appointments.entrance import service
from services.appointments.entrance.schemas import (
    ArrivalPublic,
    EntranceSummary,
    WalkInCreate,
    WalkInResult,
)
from services.appointments.entrance.verifier import HealthCodeVerifier, health_code_verifier
from services.appointments.inputs import HospitalDay
from services.appointments.routing import READERS, CodeFilter, Now, Settings
from shared.audit import Audit
from shared.auth import Principal, require
from shared.auth.roles import ADMIN, AUDITOR, DOCTOR, INFECTION_CONTROL, NURSE, WARD_STAFF
from shared.db import DbSession
from shared.pagination import CursorParam, Limit, Page
from shared.web.problems import problem_response

router = APIRouter(tags=["entrance"])

SUMMARY_READERS = (NURSE, DOCTOR, INFECTION_CONTROL, AUDITOR, ADMIN)
Verifier = Annotated[HealthCodeVerifier, Depends(health_code_verifier)]
# What the desk typed or scanned: a booking code, a patient id or part of a name.
ArrivalQuery = Annotated[str, Query(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]


@router.get(
    "/entrance/summary",
    response_model=EntranceSummary,
    summary="The entrance's day in numbers",
    description=(
        "Check-in attempts of a hospital-local day (`date`, default today; "
        "`WARDGATE_TIMEZONE`), optionally of one `department`: `by_outcome`, `by_source` "
        "(health code `verified` from a scan or `manual`), `fever` (attempts with a "
        "temperature at or above the fever threshold) and `by_hour` (every local hour 0-23, "
        "outcomes). Each attempt counts once, so a visitor refused without a mask and then "
        "admitted counts in both. `by_department`: per department, that day's appointments "
        "`booked` (not cancelled or rescheduled), `arrived` (checked in, sent to the fever "
        "clinic or completed) and `not_yet` (still booked); no-shows are the rest. Unknown "
        "department -> 404 `unknown_department`. Nurses, doctors, infection control, auditors, "
        "admins."
    ),
    responses={404: {"description": "Unknown department"}},
    dependencies=[Depends(require(*SUMMARY_READERS))],
)
def entrance_summary(
    session: DbSession,
    audit: Audit,
    settings: Settings,
    now: Now,
    date: HospitalDay | None = None,
    department: CodeFilter = None,
) -> EntranceSummary:
    tz = settings.timezone
    day = date or now.astimezone(tz).date()
    return service.entrance_summary(session, audit, day, department, tz)


@router.get(
    "/entrance/arrivals",
    response_model=Page[ArrivalPublic],
    summary="Find a visitor at the door",
    description=(
        "Today's appointments in every department matching `q`: a booking code or a patient "
        "id (exact; any time today, so an early visitor can be told when to come back) or "
        "part of a patient's name (case-insensitive; only appointments whose arrival window "
        "is open now). Each with its department's name and arrival window (`not_yet`, `open`, "
        "`over`). Cancelled and rescheduled appointments are not found. By slot start."
    ),
    dependencies=[Depends(require(*READERS))],
)
def find_arrivals(
    session: DbSession,
    audit: Audit,
    settings: Settings,
    now: Now,
    q: ArrivalQuery,
    limit: Limit = None,
    cursor: CursorParam = None,
) -> Page[ArrivalPublic]:
    return service.find_arrivals(session, audit, q, settings, now, limit, cursor)


@router.post(
    "/entrance/walk-ins",
    status_code=201,
    response_model=WalkInResult,
    summary="Book and screen a visitor without a booking",
    description=(
        "Books the department's current slot when it has a free place, else the next free "
        "slot today (the bookings' capacity rules), then screens the visitor at the door as "
        "`POST /appointments/{id}/check-in` does (`health_code` and/or "
        "`health_code_payload`, same outcomes and reasons). Without `patient_external_id` a "
        "`WALKIN-...` id is made up. Nothing free today -> 409 `no_free_slot`; the patient "
        "already holds an appointment there today -> 409 `duplicate_booking` (check that one "
        "in); unknown department -> 422 `unknown_department`; verifier unreachable and no "
        "colour typed -> 503 `health_code_unavailable` (nothing booked). Nurses, doctors, "
        "infection control."
    ),
    responses={
        409: {"description": "No free slot today, or already booked today"},
        503: {"description": "Verifier unreachable and no colour typed"},
    },
)
def walk_in(
    body: WalkInCreate,
    principal: Annotated[Principal, Depends(require(*WARD_STAFF))],
    session: DbSession,
    audit: Audit,
    settings: Settings,
    now: Now,
    verifier: Verifier,
) -> Response:
    result = service.walk_in(session, audit, principal, body, settings, now, verifier)
    if not isinstance(result, WalkInResult):  # verifier down: its audit row commits
        return problem_response(result)
    return JSONResponse(result.model_dump(mode="json"), status_code=201)
