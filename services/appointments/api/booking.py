"""Taking a place in a slot: the one path POST /appointments and reschedule share."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from services.appointments.api.departments import schedule_of
from services.appointments.domain.schedule import (
    BookingRefused,
    check_bookable,
    local_day,
    slot_starting_at,
)
from services.appointments.models import Appointment, Department
from services.appointments.repository import bookings
from shared.errors import Conflict, Unprocessable, field_error


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


def _duplicate() -> Conflict:
    return Conflict(
        "The patient already holds an active appointment in this department that day.",
        code="duplicate_booking",
    )


def book_place(
    session: Session, request: BookingRequest, now: datetime, tz: ZoneInfo
) -> Appointment:
    """Validate the slot, take a place (conditional UPDATE) and store the appointment."""
    department = request.department
    schedule = schedule_of(department)
    try:
        slot = slot_starting_at(schedule, request.slot_start, tz)
        check_bookable(schedule, slot, now, tz)
    except BookingRefused as exc:
        raise Unprocessable(
            exc.detail, code=exc.code, errors=[field_error("slot_start", exc.detail, exc.code)]
        ) from exc
    day = local_day(slot.start, tz)
    # A friendly early answer only; the partial unique index is what enforces it.
    if bookings.holds_active_booking(session, request.patient_external_id, department.code, day):
        raise _duplicate()
    capacity = department.capacity_per_slot
    slot_id = bookings.take_place(session, department.code, slot.start, capacity)
    if slot_id is None:  # full, or never booked before: create the row and try once more
        bookings.ensure_slot(session, department.code, slot.start, slot.end, capacity)
        slot_id = bookings.take_place(session, department.code, slot.start, capacity)
    if slot_id is None:
        raise Conflict("That slot is fully booked; choose another slot.", code="slot_full")
    try:
        return bookings.insert_appointment(
            session,
            {
                "id": uuid.uuid4().hex,
                "department_code": department.code,
                "slot_id": slot_id,
                "slot_start": slot.start,
                "slot_end": slot.end,
                "local_date": day,
                "patient_external_id": request.patient_external_id,
                "patient_name": request.patient_name,
                "phone": request.phone,
                "status": "booked",
                "rescheduled_from": request.rescheduled_from,
                "created_by": request.booked_by,
                "created_at": now,
                "status_changed_at": now,
            },
        )
    except bookings.DuplicateBooking as exc:
        raise _duplicate() from exc
