"""Departments and the per-slot place counts shown with a day's schedule."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from services.appointments.departments.schemas import DepartmentIn
from services.appointments.models import Department, Slot


def get_department(session: Session, code: str) -> Department | None:
    """The department with `code`, if configured."""
    return session.get(Department, code)


def save_department(
    session: Session, code: str, schedule: DepartmentIn, now: datetime
) -> tuple[Department, bool]:
    """Create or update a department; True when it was created."""
    existing = session.get(Department, code, with_for_update=True)
    if existing is None:
        try:
            with session.begin_nested():
                created = Department(
                    code=code, created_at=now, updated_at=now, **schedule.model_dump()
                )
                session.add(created)
                session.flush()
            return created, True
        except IntegrityError:  # created concurrently: update it instead
            existing = session.get(Department, code, with_for_update=True, populate_existing=True)
            if existing is None:
                raise
    for name in DepartmentIn.model_fields:
        setattr(existing, name, getattr(schedule, name))
    existing.updated_at = now
    session.add(existing)
    session.flush()
    return existing, False


def list_departments(session: Session) -> Sequence[Department]:
    """Every department, by code."""
    return session.exec(select(Department).order_by(col(Department.code))).all()


def booked_by_slot_start(
    session: Session, department_code: str, day_start: datetime, day_end: datetime
) -> dict[datetime, int]:
    """Places taken per slot start, for slots that have been booked at least once."""
    rows = session.exec(
        select(Slot.slot_start, Slot.booked).where(
            Slot.department_code == department_code,
            col(Slot.slot_start) >= day_start,
            col(Slot.slot_start) < day_end,
        )
    ).all()
    return {start: booked for start, booked in rows}
