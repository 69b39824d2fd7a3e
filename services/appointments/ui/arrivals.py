"""A department's arrivals of a day, and one appointment's page (where a booking lands)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import Response

from services.appointments.bookings.service import (
    AppointmentFilter,
    list_appointments,
    read_appointment,
)
from services.appointments.check_ins.service import arrival_window
from services.appointments.domain.schedule import local_day as hospital_day
from services.appointments.ui.booking import department_names, now_of, settings_of
from services.appointments.ui.entrance_chart import door_day
from services.appointments.ui.words import ArrivalsReader, department_label, words
from shared.audit import Audit
from shared.db import DbSession
from shared.errors import NotFound, Problem
from shared.web.ui import Ui
from shared.web.ui.forms import attempt, caller, local_day

router = APIRouter()
APPOINTMENT_ID = frozenset("0123456789abcdef")
CHECKING_IN_ROLES = frozenset({"nurse", "doctor", "infection_control"})


def may_check_in(ui: Ui) -> bool:
    """True for the roles that check patients in at the door."""
    return not caller(ui).roles.isdisjoint(CHECKING_IN_ROLES)


def door(ui: Ui, appointment: dict[str, Any]) -> dict[str, Any]:
    """What the door offers for an appointment now: `open`, `not_yet`, `over` or `none`.

    Only a booked appointment can be checked in, and only in its arrival window (the API's
    rule); `opens` says when a later one can.
    """
    start = datetime.fromisoformat(appointment["slot_start"])
    end = datetime.fromisoformat(appointment["slot_end"])
    window = arrival_window(start, end, settings_of(ui))
    state = window.state(now_of(ui)) if appointment["status"] == "booked" else "none"
    minutes = settings_of(ui).wardgate_arrival_early_minutes
    return {"state": state, "opens": window.opens, "closes": window.closes, "minutes": minutes}


def _arrival_rows(ui: Ui, session: Any, audit: Audit, code: str, day: date) -> list[Any]:
    narrowed = AppointmentFilter(department=code, local_date=day)
    page = list_appointments(session, audit, settings_of(ui).timezone, narrowed, limit=500)
    rows = [a.model_dump(mode="json") for a in page.items]
    return [{**row, "door": door(ui, row)} for row in rows]


@router.get("/arrivals", summary="A department's arrivals of a day")
def arrivals(
    ui: ArrivalsReader, session: DbSession, audit: Audit, department: str = "", day: str = ""
) -> Response:
    """Every appointment of the day in slot order; check-in offered while the door is open."""
    names = department_names(ui, session)
    today = hospital_day(now_of(ui), settings_of(ui).timezone)
    chosen = local_day(day) if day else today
    errors = {} if chosen else {"day": ui.gettext("Enter a date.")}
    if department and department not in names:
        errors["department"] = ui.gettext("Choose one of the options.")
    rows = None
    if department in names and chosen:
        rows = _arrival_rows(ui, session, audit, department, chosen)
    shown = chosen or today
    entrance = door_day(ui, session, audit, shown) if chosen else None
    return ui.render(
        "appointments/arrivals.html",
        status=422 if errors else 200,
        departments=[{"code": code, "name": name} for code, name in names.items()],
        department_name=department_label(names, department),
        values={"department": department[:64], "day": shown.isoformat()},
        errors=errors,
        rows=rows,
        entrance=entrance,
        today=today.isoformat(),
        may_check_in=may_check_in(ui),
        previous=urlencode({"department": department, "day": shown - timedelta(days=1)}),
        following=urlencode({"department": department, "day": shown + timedelta(days=1)}),
        **words(),
    )


def find_appointment(ui: Ui, session: Any, audit: Audit, appointment_id: str) -> Any:
    """The appointment's answer as a document, or None for an id that names none."""
    if not 0 < len(appointment_id) <= 32 or not set(appointment_id) <= APPOINTMENT_ID:
        return None
    tz = settings_of(ui).timezone
    found = attempt(ui, session, lambda: read_appointment(session, audit, appointment_id, tz))
    return None if isinstance(found, Problem) else found.model_dump(mode="json")


def no_such_appointment(ui: Ui) -> Response:
    """The 404 page of an unknown appointment."""
    message = ui.gettext("There is no such appointment.")
    return ui.error(NotFound(message, code="unknown_appointment"))


@router.get("/appointments/{appointment_id}", summary="One appointment and its booking code")
def appointment_page(
    ui: ArrivalsReader, session: DbSession, audit: Audit, appointment_id: str, booked: str = ""
) -> Response:
    """The booking code, slot and status, and when the patient may check in."""
    appointment = find_appointment(ui, session, audit, appointment_id)
    if appointment is None:
        return no_such_appointment(ui)
    names = department_names(ui, session)
    return ui.render(
        "appointments/booked.html",
        appointment=appointment,
        just_booked=booked == "1",
        department_name=department_label(names, appointment["department"]),
        door=door(ui, appointment),
        may_check_in=may_check_in(ui),
        **words(),
    )
