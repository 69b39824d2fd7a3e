"""Booking a slot: department, day, the free places of the slots not over yet."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from services.appointments.bookings.schemas import AppointmentCreate
from services.appointments.bookings.service import book_appointment
from services.appointments.departments.service import list_departments, slots_of_day
from services.appointments.domain.schedule import local_day as hospital_day
from services.appointments.replay import answer_document
from services.appointments.settings import AppointmentsSettings
from services.appointments.ui.words import WardStaff, refusal, words
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


def department_names(ui: Ui, session: Any) -> dict[str, str]:
    """Each configured department's name by code (pages show "name (code)")."""
    return {d.code: d.name for d in list_departments(session, settings_of(ui).timezone)}


def _day_note(ui: Ui, department: dict[str, Any], day: date, last: date) -> str | None:
    """Why a day offers no booking (over, or not open yet), or None when it does."""
    today = last - timedelta(days=int(department["booking_days_ahead"]))
    if day < today:
        return ui.gettext("%(day)s is over. Choose today or a later day.", day=day.isoformat())
    if day > last:
        opens = day - timedelta(days=int(department["booking_days_ahead"]))
        return ui.gettext(
            "Booking for %(day)s is not open yet: this department takes bookings %(days)d "
            "days ahead, so that day opens on %(opens)s. The last day that can be booked now "
            "is %(last)s.",
            day=day.isoformat(),
            days=int(department["booking_days_ahead"]),
            opens=opens.isoformat(),
            last=last.isoformat(),
        )
    return None


def _offer(
    ui: Ui, session: Any, department: dict[str, Any], day: date
) -> tuple[list[dict[str, Any]] | None, str | None] | Problem:
    """(the slots not over yet, None), or (None, why the day offers none)."""
    tz, now = settings_of(ui).timezone, now_of(ui)
    found = attempt(ui, session, lambda: slots_of_day(session, department["code"], day, tz, now))
    if isinstance(found, Problem):
        return found
    note = _day_note(ui, department, day, found.last_bookable_day)
    if note is not None:
        return None, note
    left = [s.model_dump(mode="json") for s in found.items if s.end > now]
    if found.items and not left:
        return None, ui.gettext("Every slot of that day is over. Choose a later day.")
    return left, None


def _booking_page(
    ui: Ui, session: Any, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    departments = _departments(ui, session)
    by_code = {d["code"]: d for d in departments}
    today = hospital_day(now_of(ui), settings_of(ui).timezone)
    day = local_day(values.get("day", "")) or today
    values = {**values, "day": day.isoformat()}
    slots: list[dict[str, Any]] | None = None
    note: str | None = None
    if values.get("department") in by_code:
        offer = _offer(ui, session, by_code[values["department"]], day)
        if isinstance(offer, Problem):
            errors = {**errors, "day": ui.gettext("Enter a date.")}
        else:
            slots, note = offer
    elif values.get("department"):
        errors = {**errors, "department": ui.gettext("Choose one of the options.")}
    return ui.render(
        "appointments/book.html",
        status=422 if errors and status == 200 else status,
        departments=departments,
        values=values,
        errors=errors,
        slots=slots,
        note=note,
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
    """POST /appointments with the chosen slot; on success, 303 to the booking's page."""
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
    # Post/redirect/get: the booking's own page, so Back or reload never books again (a
    # double submit replays the first booking, and lands on the same page).
    appointment = answer_document(booked)
    return ui.redirect(ui.url(f"/appointments/{appointment['id']}?booked=1"))
