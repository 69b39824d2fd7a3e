"""Booking a slot (department, day, free places per slot) and a department's arrivals."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from services.appointments.bookings.schemas import AppointmentCreate
from services.appointments.bookings.service import (
    AppointmentFilter,
    book_appointment,
    list_appointments,
)
from services.appointments.departments.service import list_departments, slots_of_day
from services.appointments.domain.schedule import local_day as hospital_day
from services.appointments.replay import answer_document
from services.appointments.settings import AppointmentsSettings
from services.appointments.ui.words import ArrivalsReader, WardStaff, refusal, words
from shared.audit import Audit
from shared.db import DbSession
from shared.errors import Problem
from shared.web.ui import Ui, csrf_protected
from shared.web.ui.forms import (
    attempt,
    build,
    caller,
    field_errors,
    local_day,
    retry_key,
)

router = APIRouter()
FIELDS = ("department", "day", "slot_start", "patient_external_id", "patient_name", "phone")


def settings_of(ui: Ui) -> AppointmentsSettings:
    """This service's settings."""
    settings: AppointmentsSettings = ui.request.app.state.settings
    return settings


def now_of(ui: Ui) -> datetime:
    """The service's clock (tests may set it)."""
    now: datetime = ui.request.app.state.clock()
    return now


def _departments(ui: Ui, session: Any) -> list[dict[str, Any]]:
    departments = list_departments(session, settings_of(ui).timezone)
    return [d.model_dump(mode="json") for d in departments]


def _slots(ui: Ui, session: Any, code: str, day: date) -> list[dict[str, Any]] | Problem:
    tz, now = settings_of(ui).timezone, now_of(ui)
    found = attempt(ui, session, lambda: slots_of_day(session, code, day, tz, now))
    if isinstance(found, Problem):
        return found
    return [
        {**slot.model_dump(mode="json"), "ended": slot.end <= now, "start_at": slot.start}
        for slot in found.items
    ]


def _booking_page(
    ui: Ui, session: Any, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    departments = _departments(ui, session)
    codes = {d["code"] for d in departments}
    today = hospital_day(now_of(ui), settings_of(ui).timezone)
    day = local_day(values.get("day", "")) or today
    values = {**values, "day": day.isoformat()}
    slots: list[dict[str, Any]] | None = None
    if values.get("department") in codes:
        found = _slots(ui, session, values["department"], day)
        if isinstance(found, Problem):
            errors = {**errors, "day": ui.gettext("Enter a date.")}
        else:
            slots = found
    elif values.get("department"):
        errors = {**errors, "department": ui.gettext("Choose one of the options.")}
    return ui.render(
        "appointments/book.html",
        status=422 if errors and status == 200 else status,
        departments=departments,
        values=values,
        errors=errors,
        slots=slots,
        retry_key=values.get("retry") or retry_key(),
        **words(),
    )


@router.get("/book", summary="Book an appointment (department, day, slot)")
def booking_form(
    ui: WardStaff, session: DbSession, department: str = "", day: str = ""
) -> Response:
    """Departments to choose from; for a chosen one, the day's slots with free places."""
    values = {"department": department[:64], "day": day[:10]}
    errors = {}
    if day and local_day(day) is None:
        errors["day"] = ui.gettext("Enter a date.")
    return _booking_page(ui, session, values, errors)


@router.post("/book", summary="Book an appointment", dependencies=[Depends(csrf_protected)])
def book(
    ui: WardStaff,
    session: DbSession,
    audit: Audit,
    department: Annotated[str, Form()] = "",
    day: Annotated[str, Form()] = "",
    slot_start: Annotated[str, Form()] = "",
    patient_external_id: Annotated[str, Form()] = "",
    patient_name: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    retry: Annotated[str, Form()] = "",
) -> Response:
    """POST /appointments with the chosen slot; the booking code shown on success."""
    values = {
        "department": department[:64],
        "day": day[:10],
        "slot_start": slot_start[:40],
        "patient_external_id": patient_external_id.strip()[:64],
        "patient_name": patient_name[:200],
        "phone": phone.strip()[:32],
    }
    data = {**values, "phone": values["phone"] or None}
    del data["day"]
    data["patient_name"] = patient_name
    body, problems = build(AppointmentCreate, data)
    if body is None:
        errors = field_errors(ui, problems)
        if "slot_start" in errors:
            errors["slot_start"] = ui.gettext("Choose a slot.")
        return _booking_page(ui, session, {**values, "retry": retry}, errors)
    key = retry if retry.startswith("ui-") and len(retry) <= 64 else None
    principal, tz, now = caller(ui), settings_of(ui).timezone, now_of(ui)
    booked = attempt(
        ui,
        session,
        lambda: book_appointment(session, audit, principal, body, tz, now, key),
    )
    if isinstance(booked, Problem):
        errors = {"": refusal(ui, booked)}
        return _booking_page(ui, session, {**values, "retry": retry_key()}, errors, booked.status)
    appointment = answer_document(booked)  # a double submit shows the first booking again
    return ui.render("appointments/booked.html", appointment=appointment, **words())


@router.get("/arrivals", summary="A department's arrivals of a day")
def arrivals(
    ui: ArrivalsReader, session: DbSession, audit: Audit, department: str = "", day: str = ""
) -> Response:
    """Every appointment of the day in slot order, with a check-in link for booked ones."""
    departments = _departments(ui, session)
    settings = settings_of(ui)
    today = hospital_day(now_of(ui), settings.timezone)
    chosen = local_day(day) if day else today
    errors = {} if chosen else {"day": ui.gettext("Enter a date.")}
    codes = {d["code"] for d in departments}
    if department and department not in codes:
        errors["department"] = ui.gettext("Choose one of the options.")
    rows = None
    if department in codes and chosen:
        narrowed = AppointmentFilter(department=department, local_date=chosen)
        page = list_appointments(session, audit, settings.timezone, narrowed, limit=500)
        rows = [a.model_dump(mode="json") for a in page.items]
    shown_day = (chosen or today).isoformat()
    return ui.render(
        "appointments/arrivals.html",
        status=422 if errors else 200,
        departments=departments,
        values={"department": department[:64], "day": shown_day},
        errors=errors,
        rows=rows,
        may_check_in=not caller(ui).roles.isdisjoint({"nurse", "doctor", "infection_control"}),
        previous=urlencode(
            {"department": department, "day": (chosen or today) - timedelta(days=1)}
        ),
        following=urlencode(
            {"department": department, "day": (chosen or today) + timedelta(days=1)}
        ),
        **words(),
    )
