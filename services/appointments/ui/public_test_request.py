"""A resident asks for a test: site, slot, booking code and its QR (no sign-in).

Public: no session is needed or looked at for access. The form is protected as the sign-in
form is: a CSRF token signed with the UI secret and bound to a nonce cookie of this service
(double submit; a form from another site has neither). Every GET and POST counts against the
public rate limit (WARDGATE_PUBLIC_RATE_PER_MIN per client address).
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response
from markupsafe import Markup

from services.appointments.departments.service import list_departments, slots_of_day
from services.appointments.domain.schedule import local_day as hospital_day
from services.appointments.settings import AppointmentsSettings
from services.appointments.test_requests.schemas import TestRequestIn
from services.appointments.test_requests.service import TESTING, request_test
from services.appointments.ui.words import refusal
from shared.audit import Audit
from shared.db import DbSession
from shared.errors import Problem
from shared.web.ui import N_, Ui, UiContext
from shared.web.ui.forms import attempt, build, field_errors, local_day
from shared.web.ui.public_form import public_form_protected, rate_limited_page

router = APIRouter()
PAGE = "/public/test-request"
# Refusals in a resident's words (the staff pages' words speak of "the patient").
PUBLIC_REFUSALS = {
    "slot_full": N_("That slot has just filled up. Choose another slot."),
    "duplicate_booking": N_("You already have a test booked at this site on that day."),
    "not_a_testing_site": N_("Choose a testing site from the list."),
    "screening_unavailable": N_(
        "Booking is not possible at the moment. Nothing was booked; try again in a few minutes."
    ),
}


def _refusal(ui: Ui, problem: Problem) -> str:
    msgid = PUBLIC_REFUSALS.get(problem.code)
    return ui.gettext(msgid) if msgid else refusal(ui, problem)


def _settings(ui: Ui) -> AppointmentsSettings:
    settings: AppointmentsSettings = ui.request.app.state.settings
    return settings


def _now(ui: Ui) -> datetime:
    now: datetime = ui.request.app.state.clock()
    return now


def _sites(ui: Ui, session: Any) -> list[dict[str, Any]]:
    every = list_departments(session, _settings(ui).timezone)
    return [d.model_dump(mode="json") for d in every if d.kind == TESTING]


def _free_slots(ui: Ui, session: Any, site: str, day: date) -> list[dict[str, Any]] | Problem:
    tz, now = _settings(ui).timezone, _now(ui)
    found = attempt(ui, session, lambda: slots_of_day(session, site, day, tz, now))
    if isinstance(found, Problem):
        return found
    if day > found.last_bookable_day:
        return []
    return [s.model_dump(mode="json") for s in found.items if s.end > now and s.available > 0]


def _form_page(
    ui: Ui, session: Any, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    sites = _sites(ui, session)
    today = hospital_day(_now(ui), _settings(ui).timezone)
    day = local_day(values.get("day", "")) or today
    values = {**values, "day": day.isoformat()}
    slots: list[dict[str, Any]] | None = None
    if values.get("site") in {s["code"] for s in sites}:
        free = _free_slots(ui, session, values["site"], day)
        slots = [] if isinstance(free, Problem) else free
    elif values.get("site"):
        errors = {**errors, "site": ui.gettext("Choose one of the options.")}
    return ui.render(
        "appointments/public_test_request.html",
        status=422 if errors and status == 200 else status,
        sites=sites,
        values=values,
        errors=errors,
        slots=slots,
        today=today.isoformat(),
    )


def booking_qr(code: str) -> Markup:
    """The booking code as a QR code, inline SVG (scanned at the collection desk)."""
    out = io.BytesIO()
    segno.make(code, error="m").save(
        out, kind="svg", border=2, xmldecl=False, svgns=True, omitsize=True, title=code
    )
    return Markup(out.getvalue().decode())  # noqa: S704 - segno's own SVG of our code


@router.get(PAGE, summary="Ask for a nucleic-acid test (residents, no sign-in)")
def test_request_form(ui: UiContext, session: DbSession, site: str = "", day: str = "") -> Response:
    """Testing sites to choose from; for a chosen one and day, the slots with free places."""
    limited = rate_limited_page(ui)
    if limited is not None:
        return limited
    values = {"site": site[:64], "day": day[:10]}
    errors = {}
    if day and local_day(day) is None:
        errors["day"] = ui.gettext("Enter a date.")
    return _form_page(ui, session, values, errors)


@router.post(PAGE, summary="Book a test (residents)", dependencies=[Depends(public_form_protected)])
def test_request(
    ui: UiContext,
    session: DbSession,
    audit: Audit,
    site: Annotated[str, Form()] = "",
    day: Annotated[str, Form()] = "",
    slot_start: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    id_number: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
) -> Response:
    """POST /test-requests with the chosen slot; the booking code and its QR on success."""
    limited = rate_limited_page(ui)
    if limited is not None:
        return limited
    values = {
        "site": site[:64],
        "day": day[:10],
        "slot_start": slot_start[:40],
        "name": name[:200],
        "id_number": id_number.strip()[:32],
        "phone": phone.strip()[:32],
    }
    data = {k: v for k, v in values.items() if k != "day"}
    body, problems = build(TestRequestIn, data)
    if body is None:
        errors = field_errors(ui, problems)
        if "slot_start" in errors:
            errors["slot_start"] = ui.gettext("Choose a slot.")
        return _form_page(ui, session, values, errors)
    settings, now = _settings(ui), _now(ui)
    screening = ui.request.app.state.screening
    booked = attempt(
        ui, session, lambda: request_test(session, audit, screening, body, settings, now)
    )
    if isinstance(booked, Problem):
        return _form_page(ui, session, values, {"": _refusal(ui, booked)}, booked.status)
    site_names = {s["code"]: s["name"] for s in _sites(ui, session)}
    return ui.render(
        "appointments/public_test_booked.html",
        status=201,
        booked=booked.model_dump(mode="json"),
        site_name=site_names.get(booked.site, booked.site),
        qr=booking_qr(booked.booking_code),
        result_url=settings.public_urls()["screening"] + "/ui/public/result",
    )
