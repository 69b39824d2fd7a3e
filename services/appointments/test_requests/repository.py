"""The one query test requests add: an appointment by its booking code."""

from __future__ import annotations

from sqlmodel import Session, select

from services.appointments.models import Appointment, Department


def appointment_by_code(session: Session, code: str) -> tuple[Appointment, Department] | None:
    """The appointment with this booking code and its department."""
    row = session.exec(
        select(Appointment, Department)
        .join(Department, Department.code == Appointment.department_code)  # type: ignore[arg-type]
        .where(Appointment.booking_code == code)
    ).first()
    return (row[0], row[1]) if row is not None else None
