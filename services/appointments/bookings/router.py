"""Booking, reading, cancelling, rescheduling and closing appointments."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response

from services.appointments.bookings import service
from services.appointments.bookings.schemas import (
    AppointmentCreate,
    AppointmentPublic,
    RescheduleIn,
)
from services.appointments.domain.appointment_status import AppointmentStatus
from services.appointments.inputs import HospitalDay
from services.appointments.routing import (
    READERS,
    CodeFilter,
    Now,
    RecordId,
    Settings,
    Writer,
    replay_response,
)
from shared.audit import Audit
from shared.auth import require
from shared.db import DbSession
from shared.idempotency import IdempotencyKeyHeader
from shared.pagination import CursorParam, Limit, Page

router = APIRouter(tags=["appointments"])
ERRORS: dict[int | str, dict[str, Any]] = {
    409: {"description": "Conflict (problem+json)"},
    422: {"description": "Invalid"},
}


@router.post(
    "/appointments",
    status_code=201,
    response_model=AppointmentPublic,
    summary="Book a slot",
    description=(
        "Takes one place in a slot; capacity is never exceeded however many clients book at "
        "once (409 `slot_full`). One active appointment per patient, department and day (409 "
        "`duplicate_booking`). 422 for a time that is not a slot start (`not_a_slot_start`), a "
        "slot that has ended (`slot_in_past`) or beyond the horizon (`beyond_booking_horizon`). "
        "Honours `Idempotency-Key`: the same key and body replay the first answer."
    ),
    responses=ERRORS,
)
def book_appointment(
    body: AppointmentCreate,
    principal: Writer,
    session: DbSession,
    audit: Audit,
    settings: Settings,
    now: Now,
    idempotency_key_header: IdempotencyKeyHeader = None,
) -> Response:
    booked = service.book_appointment(
        session, audit, principal, body, settings.timezone, now, idempotency_key_header
    )
    if isinstance(booked, AppointmentPublic):
        return JSONResponse(booked.model_dump(mode="json"), status_code=201)
    return replay_response(booked)


@router.get(
    "/appointments",
    response_model=Page[AppointmentPublic],
    summary="List appointments",
    description=(
        "By slot time, filtered by department, hospital-local `date`, `status` or patient. "
        "Clinical writers, auditors and admins."
    ),
    dependencies=[Depends(require(*READERS))],
)
def list_appointments(
    session: DbSession,
    audit: Audit,
    settings: Settings,
    department: CodeFilter = None,
    date: HospitalDay | None = None,
    status: AppointmentStatus | None = None,
    patient_external_id: CodeFilter = None,
    limit: Limit = None,
    cursor: CursorParam = None,
) -> Page[AppointmentPublic]:
    narrowed = service.AppointmentFilter(department, date, status, patient_external_id)
    return service.list_appointments(session, audit, settings.timezone, narrowed, limit, cursor)


@router.get(
    "/appointments/{appointment_id}",
    response_model=AppointmentPublic,
    summary="Read an appointment",
    description="One appointment with its status. Clinical writers, auditors and admins.",
    dependencies=[Depends(require(*READERS))],
)
def get_appointment(
    appointment_id: RecordId, session: DbSession, audit: Audit, settings: Settings
) -> AppointmentPublic:
    return service.read_appointment(session, audit, appointment_id, settings.timezone)


@router.post(
    "/appointments/{appointment_id}/cancel",
    response_model=AppointmentPublic,
    summary="Cancel an appointment",
    description=(
        "Frees the place in the same transaction. Cancelling a cancelled appointment again "
        "answers 200 and changes nothing; other statuses -> 409 `appointment_not_active`."
    ),
    responses=ERRORS,
)
def cancel_appointment(
    appointment_id: RecordId,
    _principal: Writer,
    session: DbSession,
    audit: Audit,
    settings: Settings,
    now: Now,
) -> AppointmentPublic:
    return service.cancel_appointment(session, audit, appointment_id, settings.timezone, now)


@router.post(
    "/appointments/{appointment_id}/reschedule",
    status_code=201,
    response_model=AppointmentPublic,
    summary="Move a booking to another slot",
    description=(
        "Cancel and book in one transaction: the new appointment (201, `rescheduled_from` "
        "names the old one, which becomes `rescheduled`). Any 409/422 leaves the original "
        "booking exactly as it was."
    ),
    responses=ERRORS,
)
def reschedule_appointment(
    appointment_id: RecordId,
    body: RescheduleIn,
    principal: Writer,
    session: DbSession,
    audit: Audit,
    settings: Settings,
    now: Now,
) -> JSONResponse:
    moved = service.reschedule_appointment(
        session, audit, principal, appointment_id, body, settings.timezone, now
    )
    return JSONResponse(moved.model_dump(mode="json"), status_code=201)


@router.post(
    "/appointments/{appointment_id}/no-show",
    response_model=AppointmentPublic,
    summary="Mark a no-show",
    description=(
        "For a booked appointment whose slot has ended without a check-in (409 "
        "`slot_not_over` before the end)."
    ),
    responses=ERRORS,
)
def mark_no_show(
    appointment_id: RecordId,
    _principal: Writer,
    session: DbSession,
    audit: Audit,
    settings: Settings,
    now: Now,
) -> AppointmentPublic:
    return service.mark_no_show(session, audit, appointment_id, settings.timezone, now)


@router.post(
    "/appointments/{appointment_id}/complete",
    response_model=AppointmentPublic,
    summary="Mark a visit completed",
    description="For a checked-in appointment; other statuses -> 409 `appointment_not_active`.",
    responses=ERRORS,
)
def mark_completed(
    appointment_id: RecordId,
    _principal: Writer,
    session: DbSession,
    audit: Audit,
    settings: Settings,
    now: Now,
) -> AppointmentPublic:
    return service.mark_completed(session, audit, appointment_id, settings.timezone, now)
