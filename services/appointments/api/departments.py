"""Departments (admin configures) and a day's slots (everyone signed in reads)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from services.appointments.api.deps import DepartmentCode, Now, Settings
from services.appointments.api.shapes import department_public
from services.appointments.domain.schedule import Schedule, day_slots, local_day, parse_clock_time
from services.appointments.models import Department
from services.appointments.repository import departments as repo
from services.appointments.schemas import (
    DepartmentIn,
    DepartmentPublic,
    HospitalDay,
    SlotDay,
    SlotPublic,
)
from shared.audit import Audit
from shared.auth import require
from shared.auth.roles import ADMIN, ALL_ROLES
from shared.db import DbSession
from shared.errors import NotFound
from shared.pagination import Page

router = APIRouter(tags=["departments"])


def schedule_of(department: Department) -> Schedule:
    """The pure schedule of a stored department."""
    return Schedule(
        slot_minutes=department.slot_minutes,
        capacity_per_slot=department.capacity_per_slot,
        opens=parse_clock_time(department.opens),
        closes=parse_clock_time(department.closes),
        booking_days_ahead=department.booking_days_ahead,
    )


def department_or_404(session: DbSession, code: str) -> Department:
    """The department, or a 404 problem."""
    department = repo.get_department(session, code)
    if department is None:
        raise NotFound(f"There is no department {code!r}.", code="unknown_department")
    return department


@router.put(
    "/departments/{code}",
    response_model=DepartmentPublic,
    status_code=200,
    summary="Configure a department",
    description=(
        "Create (201) or update (200) a department's slot grid in hospital local time. "
        "Changing the capacity never cancels bookings already made; a lower capacity only "
        "stops new ones. Admin only."
    ),
    responses={201: {"model": DepartmentPublic, "description": "Created"}},
    dependencies=[Depends(require(ADMIN))],
)
def put_department(
    code: DepartmentCode,
    body: DepartmentIn,
    response: Response,
    session: DbSession,
    audit: Audit,
    settings: Settings,
    now: Now,
) -> DepartmentPublic:
    department, created = repo.save_department(session, code, body.model_dump(), now)
    response.status_code = 201 if created else 200
    audit.record(
        "department.create" if created else "department.update",
        f"department/{code}",
        **body.model_dump(exclude={"name"}),
    )
    return department_public(department, settings.timezone)


@router.get(
    "/departments",
    response_model=Page[DepartmentPublic],
    summary="List departments",
    description="Every configured department, by code (one page; departments are few).",
    dependencies=[Depends(require(*ALL_ROLES))],
)
def list_departments(session: DbSession, settings: Settings) -> Page[DepartmentPublic]:
    items = [department_public(d, settings.timezone) for d in repo.list_departments(session)]
    return Page(items=items, next_cursor=None)


@router.get(
    "/departments/{code}",
    response_model=DepartmentPublic,
    summary="Read a department",
    description="The department's schedule and capacity.",
    dependencies=[Depends(require(*ALL_ROLES))],
)
def get_department(
    code: DepartmentCode, session: DbSession, settings: Settings
) -> DepartmentPublic:
    return department_public(department_or_404(session, code), settings.timezone)


@router.get(
    "/departments/{code}/slots",
    response_model=SlotDay,
    summary="A day's slots with places left",
    description=(
        "Every slot of a hospital-local day (default: today), unpaginated: `capacity` is the "
        "department's current capacity per slot, `booked` the places taken, `available` what "
        "is left. Times are hospital local time with offset."
    ),
    dependencies=[Depends(require(*ALL_ROLES))],
)
def get_slots(
    code: DepartmentCode,
    session: DbSession,
    settings: Settings,
    now: Now,
    date: Annotated[HospitalDay | None, Query(description="YYYY-MM-DD, local")] = None,
) -> SlotDay:
    tz = settings.timezone
    department = department_or_404(session, code)
    day = date or local_day(now, tz)
    slots = day_slots(schedule_of(department), day, tz)
    midnight = datetime.min.time()
    booked = repo.booked_by_slot_start(
        session,
        code,
        datetime.combine(day, midnight, tzinfo=tz),
        datetime.combine(day + timedelta(days=1), midnight, tzinfo=tz),
    )
    capacity = department.capacity_per_slot
    items = []
    for slot in slots:
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
    return SlotDay(department=code, date=day, items=items)
