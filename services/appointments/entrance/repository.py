"""The entrance's reads: arrivals found by code, id or name; a day's attempts and bookings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from services.appointments.domain.appointment_status import AppointmentStatus
from services.appointments.models import Appointment, CheckIn, Department

# Appointments the door may still have to do with (a cancelled one is not found).
AT_THE_DOOR = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.REDIRECTED_FEVER_CLINIC,
)


@dataclass(frozen=True)
class ArrivalSearch:
    """What the desk typed or scanned, the local day, and the window that is open now."""

    text: str
    day: date
    window_starts_by: datetime  # slot_start at most this: its window has opened
    window_ends_after: datetime  # slot_end after this: its window has not closed


@dataclass(frozen=True)
class AttemptRow:
    """The columns of a check-in attempt the summary counts."""

    at: datetime
    outcome: str
    source: str
    reasons: str


def find_arrivals(
    session: Session, search: ArrivalSearch, after: tuple[datetime, str] | None, limit: int
) -> Sequence[tuple[Appointment, str]]:
    """Booking code or patient id (exact, the whole day), or name (contains, window open now).

    Each appointment with its department's name, by slot start then id.
    """
    text = search.text
    named = and_(
        func.lower(col(Appointment.patient_name)).contains(text.lower(), autoescape=True),
        col(Appointment.slot_start) <= search.window_starts_by,
        col(Appointment.slot_end) > search.window_ends_after,
    )
    query = (
        select(Appointment, Department.name)
        .join(Department, col(Department.code) == col(Appointment.department_code))
        .where(
            Appointment.local_date == search.day,
            col(Appointment.status).in_(AT_THE_DOOR),
            or_(
                col(Appointment.booking_code) == text.upper(),
                col(Appointment.patient_external_id) == text,
                named,
            ),
        )
    )
    if after:
        start, last_id = after
        query = query.where(
            or_(
                col(Appointment.slot_start) > start,
                and_(col(Appointment.slot_start) == start, col(Appointment.id) > last_id),
            )
        )
    order = (col(Appointment.slot_start), col(Appointment.id))
    rows = session.exec(query.order_by(*order).limit(limit)).all()
    return [(appointment, name) for appointment, name in rows]


def attempts_between(
    session: Session, start: datetime, end: datetime, department: str | None
) -> list[AttemptRow]:
    """Check-in attempts from `start` (inclusive) to `end` (exclusive)."""
    query = select(CheckIn.at, CheckIn.outcome, CheckIn.health_code_source, CheckIn.reasons).where(
        col(CheckIn.at) >= start, col(CheckIn.at) < end
    )
    if department:
        query = query.where(CheckIn.department_code == department)
    return [AttemptRow(*row) for row in session.exec(query).all()]


def statuses_of_day(
    session: Session, day: date, department: str | None
) -> list[tuple[str, str, int]]:
    """(department, status, count) of the appointments of a local day."""
    query = (
        select(Appointment.department_code, Appointment.status, func.count())
        .where(Appointment.local_date == day)
        .group_by(col(Appointment.department_code), col(Appointment.status))
    )
    if department:
        query = query.where(Appointment.department_code == department)
    return [(code, status, int(n)) for code, status, n in session.exec(query).all()]


def department_codes(session: Session) -> list[str]:
    """Every configured department's code, in order."""
    return list(session.exec(select(Department.code).order_by(col(Department.code))).all())
