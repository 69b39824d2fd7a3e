"""Booking, reading, cancelling, rescheduling and closing appointments."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from services.appointments.api.booking import BookingRequest, book_place
from services.appointments.api.deps import CodeFilter, Now, RecordId, Settings
from services.appointments.api.shapes import appointment_public
from services.appointments.domain.schedule import Slot, arrival_window_ended
from services.appointments.models import Appointment, idempotency_key
from services.appointments.repository import bookings
from services.appointments.repository import departments as department_repo
from services.appointments.schemas import (
    AppointmentCreate,
    AppointmentPublic,
    HospitalDay,
    RescheduleIn,
)
from shared.audit import Audit
from shared.auth import Principal, require
from shared.auth.roles import ADMIN, AUDITOR, CLINICAL_WRITERS
from shared.db import DbSession
from shared.errors import Conflict, NotFound, Unprocessable
from shared.idempotency import IdempotencyKeyHeader, IdempotentRequest, fingerprint
from shared.pagination import (
    CursorParam,
    Limit,
    Page,
    Position,
    next_cursor,
    page_size,
    time_and_code_after,
)

router = APIRouter(tags=["appointments"])
Writer = Annotated[Principal, Depends(require(*CLINICAL_WRITERS))]
READERS = (*CLINICAL_WRITERS, AUDITOR, ADMIN)
Status = Literal[
    "booked",
    "checked_in",
    "redirected_fever_clinic",
    "cancelled",
    "rescheduled",
    "no_show",
    "completed",
]
ERRORS: dict[int | str, dict[str, Any]] = {
    409: {"description": "Conflict (problem+json)"},
    422: {"description": "Invalid"},
}


def appointment_or_404(session: DbSession, appointment_id: str) -> Appointment:
    """The appointment, or a 404 problem."""
    appointment = bookings.get_appointment(session, appointment_id)
    if appointment is None:
        raise NotFound("There is no such appointment.", code="unknown_appointment")
    return appointment


def not_active(appointment: Appointment, action: str) -> Conflict:
    """409 for an action the appointment's status does not allow."""
    return Conflict(
        f"The appointment is {appointment.status}; it cannot be {action}.",
        code="appointment_not_active",
        extra={"appointment_status": appointment.status},
    )


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
) -> JSONResponse:
    keyed = IdempotentRequest(
        session,
        idempotency_key,
        principal.sub,
        idempotency_key_header,
        fingerprint("POST", "/appointments", body.model_dump(mode="json")),
    )
    replay = keyed.claim()
    if replay is not None:
        return replay  # type: ignore[return-value]
    department = department_repo.get_department(session, body.department)
    if department is None:
        raise Unprocessable(
            f"There is no department {body.department!r}.", code="unknown_department"
        )
    appointment = book_place(
        session,
        BookingRequest(
            department=department,
            slot_start=body.slot_start,
            patient_external_id=body.patient_external_id,
            patient_name=body.patient_name,
            phone=body.phone,
            booked_by=principal.sub,
        ),
        now,
        settings.timezone,
    )
    answer = appointment_public(appointment, settings.timezone).model_dump(mode="json")
    keyed.remember(201, answer)
    audit.record(
        "appointment.book",
        f"appointment/{appointment.id}",
        department=department.code,
        slot_start=answer["slot_start"],
        booking_code=appointment.booking_code,
        patient_external_id=appointment.patient_external_id,
    )
    return JSONResponse(answer, status_code=201)


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
    status: Status | None = None,
    patient_external_id: CodeFilter = None,
    limit: Limit = None,
    cursor: CursorParam = None,
) -> Page[AppointmentPublic]:
    size = page_size(limit)
    rows = bookings.list_appointments(
        session,
        department=department,
        local_date=date,
        status=status,
        patient_external_id=patient_external_id,
        after=time_and_code_after(cursor),
        limit=size + 1,
    )
    rows, nxt = next_cursor(rows, size, lambda last: Position(last.id, last.slot_start))
    audit.record("appointment.list", "appointments", count=len(rows), department=department)
    items = [appointment_public(a, settings.timezone) for a in rows]
    return Page(items=items, next_cursor=nxt)


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
    appointment = appointment_or_404(session, appointment_id)
    audit.record("appointment.read", f"appointment/{appointment.id}")
    return appointment_public(appointment, settings.timezone)


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
    appointment = appointment_or_404(session, appointment_id)
    if appointment.status == "cancelled":
        return appointment_public(appointment, settings.timezone)
    if not bookings.change_status(session, appointment.id, ("booked",), "cancelled", now):
        raise not_active(appointment_or_404(session, appointment_id), "cancelled")
    bookings.free_place(session, appointment.slot_id)
    audit.record("appointment.cancel", f"appointment/{appointment.id}")
    return appointment_public(appointment_or_404(session, appointment_id), settings.timezone)


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
    old = appointment_or_404(session, appointment_id)
    if not bookings.change_status(session, old.id, ("booked",), "rescheduled", now):
        raise not_active(appointment_or_404(session, appointment_id), "rescheduled")
    bookings.free_place(session, old.slot_id)
    department = department_repo.get_department(session, old.department_code)
    assert department is not None  # foreign key
    new = book_place(
        session,
        BookingRequest(
            department=department,
            slot_start=body.slot_start,
            patient_external_id=old.patient_external_id,
            patient_name=old.patient_name,
            phone=old.phone,
            booked_by=principal.sub,
            rescheduled_from=old.id,
        ),
        now,
        settings.timezone,
    )
    answer = appointment_public(new, settings.timezone).model_dump(mode="json")
    audit.record(
        "appointment.reschedule",
        f"appointment/{old.id}",
        new_appointment=new.id,
        slot_start=answer["slot_start"],
    )
    return JSONResponse(answer, status_code=201)


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
    appointment = appointment_or_404(session, appointment_id)
    if appointment.status != "booked":
        raise not_active(appointment, "marked a no-show")
    if not arrival_window_ended(Slot(appointment.slot_start, appointment.slot_end), now):
        raise Conflict("The slot has not ended yet.", code="slot_not_over")
    if not bookings.change_status(session, appointment.id, ("booked",), "no_show", now):
        raise not_active(appointment_or_404(session, appointment_id), "marked a no-show")
    audit.record("appointment.no_show", f"appointment/{appointment.id}")
    return appointment_public(appointment_or_404(session, appointment_id), settings.timezone)


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
    appointment = appointment_or_404(session, appointment_id)
    if not bookings.change_status(session, appointment.id, ("checked_in",), "completed", now):
        raise not_active(appointment_or_404(session, appointment_id), "completed")
    audit.record("appointment.complete", f"appointment/{appointment.id}")
    return appointment_public(appointment_or_404(session, appointment_id), settings.timezone)
