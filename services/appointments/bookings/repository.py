"""Slots and appointments: places are taken and freed by conditional UPDATEs only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import cast

from sqlalchemy import Table, and_, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from services.appointments.domain.appointment_status import ACTIVE_STATUSES, AppointmentStatus
from services.appointments.domain.booking_code import new_booking_code
from services.appointments.models import Appointment, Slot
from shared.db import is_postgres

SLOT = cast(Table, Slot.__table__)  # type: ignore[attr-defined]
APPOINTMENT = cast(Table, Appointment.__table__)  # type: ignore[attr-defined]
CODE_ATTEMPTS = 5


class DuplicateBooking(Exception):
    """The patient already holds an active appointment in that department that day."""


@dataclass(frozen=True)
class NewAppointment:
    """An appointment to store; its booking code is drawn when it is inserted."""

    id: str
    department_code: str
    slot_id: int
    slot_start: datetime
    slot_end: datetime
    local_date: date
    patient_external_id: str
    patient_name: str
    phone: str | None
    status: AppointmentStatus
    rescheduled_from: str | None
    created_by: str
    created_at: datetime
    status_changed_at: datetime


def take_place(
    session: Session, department_code: str, start: datetime, capacity_now: int
) -> int | None:
    """One conditional UPDATE: a place is taken only while fewer than `capacity_now` are.

    Returns the slot's id, or None when the slot is full or has no row yet. The capacity is
    refreshed on the row so `CHECK (booked <= capacity)` holds after a capacity change.
    """
    result = session.exec(
        update(Slot)
        .where(
            col(Slot.department_code) == department_code,
            col(Slot.slot_start) == start,
            col(Slot.booked) < capacity_now,
        )
        .values(booked=col(Slot.booked) + 1, capacity=capacity_now)
        .returning(col(Slot.id))
    )
    return cast(int | None, result.scalar_one_or_none())


def ensure_slot(
    session: Session, department_code: str, start: datetime, end: datetime, capacity: int
) -> None:
    """Create the slot row for (department, start) unless it exists (a concurrent twin waits)."""
    values = {
        "department_code": department_code,
        "slot_start": start,
        "slot_end": end,
        "capacity": capacity,
        "booked": 0,
    }
    insert = pg_insert if is_postgres(session) else sqlite_insert
    statement = (
        insert(SLOT)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["department_code", "slot_start"])
    )
    session.connection().execute(statement)


def free_place(session: Session, slot_id: int) -> None:
    """Give a place back (the appointment's status change guards against doing it twice)."""
    session.exec(
        update(Slot)
        .where(col(Slot.id) == slot_id, col(Slot.booked) > 0)
        .values(booked=col(Slot.booked) - 1)
    )


def holds_active_booking(
    session: Session, patient_external_id: str, department_code: str, local_date: date
) -> bool:
    """True when the patient already has an active appointment there that day."""
    found = session.exec(
        select(Appointment.id).where(
            Appointment.patient_external_id == patient_external_id,
            Appointment.department_code == department_code,
            Appointment.local_date == local_date,
            col(Appointment.status).in_(ACTIVE_STATUSES),
        )
    ).first()
    return found is not None


def insert_appointment(session: Session, new: NewAppointment) -> Appointment:
    """Store a new appointment with a fresh booking code; DuplicateBooking on the index."""
    values = asdict(new)
    insert = pg_insert if is_postgres(session) else sqlite_insert
    for _ in range(CODE_ATTEMPTS):
        code = new_booking_code()
        statement = (
            insert(APPOINTMENT)
            .values(booking_code=code, **values)
            .on_conflict_do_nothing(index_elements=["booking_code"])  # a code clash: draw again
            .returning(APPOINTMENT.c.id)
        )
        try:
            stored = session.connection().execute(statement).scalar_one_or_none()
        except IntegrityError as exc:  # the partial unique index: one active per patient/day
            raise DuplicateBooking from exc
        if stored is not None:
            return Appointment(booking_code=code, **values)
    raise RuntimeError("no unused booking code found")  # 40 bits: practically unreachable


def get_appointment(session: Session, appointment_id: str) -> Appointment | None:
    """One appointment by id."""
    return session.get(Appointment, appointment_id)


def change_status(
    session: Session,
    appointment_id: str,
    from_statuses: Sequence[AppointmentStatus],
    to: AppointmentStatus,
    now: datetime,
) -> bool:
    """Move an appointment to `to` only if it is still in one of `from_statuses`."""
    result = session.exec(
        update(Appointment)
        .where(col(Appointment.id) == appointment_id, col(Appointment.status).in_(from_statuses))
        .values(status=to, status_changed_at=now)
    )
    session.expire_all()
    return result.rowcount == 1


def list_appointments(
    session: Session,
    *,
    department: str | None,
    local_date: date | None,
    status: AppointmentStatus | None,
    patient_external_id: str | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> Sequence[Appointment]:
    """Appointments by slot start then id, filtered; `after` is the keyset position."""
    query = select(Appointment)
    if department:
        query = query.where(Appointment.department_code == department)
    if local_date:
        query = query.where(Appointment.local_date == local_date)
    if status:
        query = query.where(Appointment.status == status)
    if patient_external_id:
        query = query.where(Appointment.patient_external_id == patient_external_id)
    if after:
        start, last_id = after
        query = query.where(
            or_(
                col(Appointment.slot_start) > start,
                and_(col(Appointment.slot_start) == start, col(Appointment.id) > last_id),
            )
        )
    order = (col(Appointment.slot_start), col(Appointment.id))
    return session.exec(query.order_by(*order).limit(limit)).all()
