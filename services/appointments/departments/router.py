"""Departments (admin configures) and a day's slots (everyone signed in reads)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from services.appointments.departments import service
from services.appointments.departments.schemas import DepartmentIn, DepartmentPublic, SlotDay
from services.appointments.inputs import HospitalDay
from services.appointments.routing import DepartmentCode, Now, Settings
from shared.audit import Audit
from shared.auth import require
from shared.auth.roles import ADMIN, ALL_ROLES
from shared.db import DbSession
from shared.pagination import Page

router = APIRouter(tags=["departments"])


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
    configured = service.configure_department(session, audit, code, body, settings.timezone, now)
    response.status_code = 201 if configured.created else 200
    return configured.department


@router.get(
    "/departments",
    response_model=Page[DepartmentPublic],
    summary="List departments",
    description="Every configured department, by code (one page; departments are few).",
    dependencies=[Depends(require(*ALL_ROLES))],
)
def list_departments(session: DbSession, settings: Settings) -> Page[DepartmentPublic]:
    items = service.list_departments(session, settings.timezone)
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
    return service.read_department(session, code, settings.timezone)


@router.get(
    "/departments/{code}/slots",
    response_model=SlotDay,
    summary="A day's slots with places left",
    description=(
        "Every slot of a hospital-local day (default: today), unpaginated: `capacity` is the "
        "department's current capacity per slot, `booked` the places taken, `available` what "
        "is left. Times are hospital local time with offset. `last_bookable_day` is the "
        "booking horizon as of now (today + `booking_days_ahead`): a later day's slots are "
        "listed but cannot be booked yet (`POST /appointments` answers 422 "
        "`beyond_booking_horizon`)."
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
    return service.slots_of_day(session, code, date, settings.timezone, now)
