"""Configuring departments and reading a day's slots with the places left."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from services.appointments.departments import repository
from services.appointments.departments.schemas import (
    DepartmentIn,
    DepartmentPublic,
    SlotDay,
    SlotPublic,
    department_public,
)
from services.appointments.domain.schedule import Schedule, day_slots, local_day, parse_clock_time
from services.appointments.models import Department
from shared.audit import AuditTrail
from shared.errors import NotFound


@dataclass(frozen=True)
class ConfiguredDepartment:
    """A department after `configure_department`, and whether it was new."""

    department: DepartmentPublic
    created: bool


def schedule_of(department: Department) -> Schedule:
    """The pure schedule of a stored department."""
    return Schedule(
        slot_minutes=department.slot_minutes,
        capacity_per_slot=department.capacity_per_slot,
        opens=parse_clock_time(department.opens),
        closes=parse_clock_time(department.closes),
        booking_days_ahead=department.booking_days_ahead,
    )


def known_department(session: Session, code: str) -> Department:
    """The department; NotFound `unknown_department` when none is configured."""
    department = repository.get_department(session, code)
    if department is None:
        raise NotFound(f"There is no department {code!r}.", code="unknown_department")
    return department


def configure_department(
    session: Session,
    audit: AuditTrail,
    code: str,
    schedule: DepartmentIn,
    tz: ZoneInfo,
    now: datetime,
) -> ConfiguredDepartment:
    """Create or update a department's slot grid; bookings already made are kept."""
    department, created = repository.save_department(session, code, schedule, now)
    audit.record(
        "department.create" if created else "department.update",
        f"department/{code}",
        **schedule.model_dump(exclude={"name"}),
    )
    return ConfiguredDepartment(department_public(department, tz), created)


def list_departments(session: Session, tz: ZoneInfo) -> list[DepartmentPublic]:
    """Every configured department, by code."""
    return [department_public(d, tz) for d in repository.list_departments(session)]


def read_department(session: Session, code: str, tz: ZoneInfo) -> DepartmentPublic:
    """One department's schedule and capacity."""
    return department_public(known_department(session, code), tz)


def slots_of_day(
    session: Session, code: str, day: date | None, tz: ZoneInfo, now: datetime
) -> SlotDay:
    """Every slot of a hospital-local day (default today) with places taken and left."""
    department = known_department(session, code)
    day = day or local_day(now, tz)
    midnight = datetime.min.time()
    booked = repository.booked_by_slot_start(
        session,
        code,
        datetime.combine(day, midnight, tzinfo=tz),
        datetime.combine(day + timedelta(days=1), midnight, tzinfo=tz),
    )
    capacity = department.capacity_per_slot
    items = []
    for slot in day_slots(schedule_of(department), day, tz):
        taken = booked.get(slot.start, 0)
        items.append(
            SlotPublic(
                start=slot.start,
                end=slot.end,
                capacity=capacity,
                booked=taken,
                available=max(0, capacity - taken),
            )
        )
    horizon = local_day(now, tz) + timedelta(days=department.booking_days_ahead)
    return SlotDay(department=code, date=day, last_bookable_day=horizon, items=items)
