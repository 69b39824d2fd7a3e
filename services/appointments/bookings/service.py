"""Booking a place in a slot, and reading, cancelling, rescheduling and closing appointments."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from services.appointments.bookings import repository
from services.appointments.bookings.schemas import (
    AppointmentCreate,
    AppointmentPublic,
    RescheduleIn,
    appointment_public,
)
from services.appointments.departments.service import known_department, schedule_of
from services.appointments.domain.appointment_status import AppointmentStatus
from services.appointments.domain.schedule import (
    BookingRefused,
    Slot,
    arrival_window_ended,
    check_bookable,
    local_day,
    slot_starting_at,
)
from services.appointments.models import Appointment, Department
from services.appointments.replay import Replayed, claim, keyed_request
from shared.audit import AuditTrail
from shared.auth import Principal
from shared.errors import Conflict, NotFound, Unprocessable, field_error
from shared.pagination import Page, Position, next_cursor, page_size, time_and_code_after

BOOKED = AppointmentStatus.BOOKED


@dataclass(frozen=True)
class BookingRequest:
    """Who is booked where and when, and who asked."""

    department: Department
    slot_start: datetime
    patient_external_id: str
    patient_name: str
    phone: str | None
    booked_by: str
    rescheduled_from: str | None = None


@dataclass(frozen=True)
class AppointmentFilter:
    """What a list of appointments is narrowed to."""

    department: str | None = None
    local_date: date | None = None
    status: AppointmentStatus | None = None
    patient_external_id: str | None = None


def known_appointment(session: Session, appointment_id: str) -> Appointment:
    """The appointment; NotFound `unknown_appointment` when there is none."""
    appointment = repository.get_appointment(session, appointment_id)
    if appointment is None:
        raise NotFound("There is no such appointment.", code="unknown_appointment")
    return appointment


def not_active(appointment: Appointment, action: str) -> Conflict:
    """The refusal of an action the appointment's status does not allow."""
    return Conflict(
        f"The appointment is {appointment.status}; it cannot be {action}.",
        code="appointment_not_active",
        extra={"appointment_status": appointment.status},
    )


def _duplicate() -> Conflict:
    return Conflict(
        "The patient already holds an active appointment in this department that day.",
        code="duplicate_booking",
    )


def _bookable_slot(department: Department, start: datetime, now: datetime, tz: ZoneInfo) -> Slot:
    schedule = schedule_of(department)
    try:
        slot = slot_starting_at(schedule, start, tz)
        check_bookable(schedule, slot, now, tz)
    except BookingRefused as exc:
        raise Unprocessable(
            exc.detail, code=exc.code, errors=[field_error("slot_start", exc.detail, exc.code)]
        ) from exc
    return slot


def _take_slot_place(session: Session, department: Department, slot: Slot) -> int:
    capacity = department.capacity_per_slot
    slot_id = repository.take_place(session, department.code, slot.start, capacity)
    if slot_id is None:  # full, or never booked before: create the row and try once more
        repository.ensure_slot(session, department.code, slot.start, slot.end, capacity)
        slot_id = repository.take_place(session, department.code, slot.start, capacity)
    if slot_id is None:
        raise Conflict("That slot is fully booked; choose another slot.", code="slot_full")
    return slot_id


def _department_to_book_in(session: Session, code: str) -> Department:
    try:
        return known_department(session, code)
    except NotFound as exc:
        raise Unprocessable(exc.detail, code="unknown_department") from exc


def take_place(
    session: Session, request: BookingRequest, now: datetime, tz: ZoneInfo
) -> Appointment:
    """Validate the slot, take a place (conditional UPDATE) and store the appointment."""
    department = request.department
    slot = _bookable_slot(department, request.slot_start, now, tz)
    day = local_day(slot.start, tz)
    # A friendly early answer only; the partial unique index is what enforces it.
    if repository.holds_active_booking(session, request.patient_external_id, department.code, day):
        raise _duplicate()
    slot_id = _take_slot_place(session, department, slot)
    new = repository.NewAppointment(
        id=uuid.uuid4().hex,
        department_code=department.code,
        slot_id=slot_id,
        slot_start=slot.start,
        slot_end=slot.end,
        local_date=day,
        patient_external_id=request.patient_external_id,
        patient_name=request.patient_name,
        phone=request.phone,
        status=BOOKED,
        rescheduled_from=request.rescheduled_from,
        created_by=request.booked_by,
        created_at=now,
        status_changed_at=now,
    )
    try:
        return repository.insert_appointment(session, new)
    except repository.DuplicateBooking as exc:
        raise _duplicate() from exc


def book_appointment(
    session: Session,
    audit: AuditTrail,
    principal: Principal,
    body: AppointmentCreate,
    tz: ZoneInfo,
    now: datetime,
    key: str | None = None,
) -> AppointmentPublic | Replayed:
    """Take one place in a slot for a patient; a retried key replays the first answer."""
    keyed = keyed_request(
        session, principal.sub, key, "/appointments", body.model_dump(mode="json")
    )
    replayed = claim(keyed)
    if replayed is not None:
        return replayed
    department = _department_to_book_in(session, body.department)
    appointment = take_place(
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
        tz,
    )
    answer = appointment_public(appointment, tz)
    document = answer.model_dump(mode="json")
    keyed.remember(201, document)
    audit.record(
        "appointment.book",
        f"appointment/{appointment.id}",
        department=department.code,
        slot_start=document["slot_start"],
        booking_code=appointment.booking_code,
        patient_external_id=appointment.patient_external_id,
    )
    return answer


def list_appointments(
    session: Session,
    audit: AuditTrail,
    tz: ZoneInfo,
    narrowed: AppointmentFilter,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[AppointmentPublic]:
    """Appointments by slot time, narrowed by department, local day, status or patient."""
    size = page_size(limit)
    rows = repository.list_appointments(
        session,
        department=narrowed.department,
        local_date=narrowed.local_date,
        status=narrowed.status,
        patient_external_id=narrowed.patient_external_id,
        after=time_and_code_after(cursor),
        limit=size + 1,
    )
    rows, nxt = next_cursor(rows, size, lambda last: Position(last.id, last.slot_start))
    audit.record(
        "appointment.list", "appointments", count=len(rows), department=narrowed.department
    )
    return Page(items=[appointment_public(a, tz) for a in rows], next_cursor=nxt)


def read_appointment(
    session: Session, audit: AuditTrail, appointment_id: str, tz: ZoneInfo
) -> AppointmentPublic:
    """One appointment with its status (the read is audited)."""
    appointment = known_appointment(session, appointment_id)
    audit.record("appointment.read", f"appointment/{appointment.id}")
    return appointment_public(appointment, tz)


def cancel_appointment(
    session: Session, audit: AuditTrail, appointment_id: str, tz: ZoneInfo, now: datetime
) -> AppointmentPublic:
    """Cancel a booked appointment and free its place; cancelling twice changes nothing."""
    appointment = known_appointment(session, appointment_id)
    if appointment.status == AppointmentStatus.CANCELLED:
        return appointment_public(appointment, tz)
    if not repository.change_status(
        session, appointment.id, (BOOKED,), AppointmentStatus.CANCELLED, now
    ):
        raise not_active(known_appointment(session, appointment_id), "cancelled")
    repository.free_place(session, appointment.slot_id)
    audit.record("appointment.cancel", f"appointment/{appointment.id}")
    return appointment_public(known_appointment(session, appointment_id), tz)


def reschedule_appointment(
    session: Session,
    audit: AuditTrail,
    principal: Principal,
    appointment_id: str,
    body: RescheduleIn,
    tz: ZoneInfo,
    now: datetime,
) -> AppointmentPublic:
    """Cancel and book in one transaction; the new appointment names the old one."""
    old = known_appointment(session, appointment_id)
    if not repository.change_status(session, old.id, (BOOKED,), AppointmentStatus.RESCHEDULED, now):
        raise not_active(known_appointment(session, appointment_id), "rescheduled")
    repository.free_place(session, old.slot_id)
    new = take_place(
        session,
        BookingRequest(
            department=known_department(session, old.department_code),  # a foreign key
            slot_start=body.slot_start,
            patient_external_id=old.patient_external_id,
            patient_name=old.patient_name,
            phone=old.phone,
            booked_by=principal.sub,
            rescheduled_from=old.id,
        ),
        now,
        tz,
    )
    answer = appointment_public(new, tz)
    audit.record(
        "appointment.reschedule",
        f"appointment/{old.id}",
        new_appointment=new.id,
        slot_start=answer.model_dump(mode="json")["slot_start"],
    )
    return answer


def mark_no_show(
    session: Session, audit: AuditTrail, appointment_id: str, tz: ZoneInfo, now: datetime
) -> AppointmentPublic:
    """Mark a booked appointment whose slot ended without a check-in as a no-show."""
    appointment = known_appointment(session, appointment_id)
    if appointment.status != BOOKED:
        raise not_active(appointment, "marked a no-show")
    if not arrival_window_ended(Slot(appointment.slot_start, appointment.slot_end), now):
        raise Conflict("The slot has not ended yet.", code="slot_not_over")
    if not repository.change_status(
        session, appointment.id, (BOOKED,), AppointmentStatus.NO_SHOW, now
    ):
        raise not_active(known_appointment(session, appointment_id), "marked a no-show")
    audit.record("appointment.no_show", f"appointment/{appointment.id}")
    return appointment_public(known_appointment(session, appointment_id), tz)


def mark_completed(
    session: Session, audit: AuditTrail, appointment_id: str, tz: ZoneInfo, now: datetime
) -> AppointmentPublic:
    """Mark a checked-in appointment's visit completed."""
    appointment = known_appointment(session, appointment_id)
    if not repository.change_status(
        session,
        appointment.id,
        (AppointmentStatus.CHECKED_IN,),
        AppointmentStatus.COMPLETED,
        now,
    ):
        raise not_active(known_appointment(session, appointment_id), "completed")
    audit.record("appointment.complete", f"appointment/{appointment.id}")
    return appointment_public(known_appointment(session, appointment_id), tz)
