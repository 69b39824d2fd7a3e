"""Booking a virtual ward visit (in-person ward visits are not offered)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from services.appointments.replay import answer_document
from services.appointments.ui.booking import now_of, settings_of
from services.appointments.ui.words import WardStaff, refusal, words
from services.appointments.virtual_visits.schemas import VirtualVisitCreate
from services.appointments.virtual_visits.service import book_virtual_visit, read_virtual_visit
from shared.audit import Audit
from shared.db import DbSession
from shared.errors import NotFound, Problem
from shared.web.ui import Ui, csrf_protected
from shared.web.ui.forms import (
    attempt,
    browser_time,
    build,
    caller,
    field_errors,
    local_datetime,
    retry_key,
)

router = APIRouter()
VISIT_ID = frozenset("0123456789abcdef")


def _form(ui: Ui, values: dict[str, str], errors: dict[str, str], status: int = 200) -> Response:
    return ui.render(
        "appointments/virtual_visit.html",
        status=status,
        values=values,
        errors=errors,
        retry_key=values.get("retry") or retry_key(),
        capacity=settings_of(ui).wardgate_virtual_visit_capacity,
        **words(),
    )


@router.get("/virtual-visits/new", summary="Book a virtual visit (form)")
def virtual_visit_form(ui: WardStaff, patient: str = "") -> Response:
    """Visitor, phone and time for a video visit to an inpatient."""
    start = browser_time(now_of(ui), settings_of(ui).timezone)
    return _form(ui, {"patient_external_id": patient[:64], "start": start}, {})


@router.post(
    "/virtual-visits", summary="Book a virtual visit", dependencies=[Depends(csrf_protected)]
)
def book_visit(
    ui: WardStaff,
    session: DbSession,
    audit: Audit,
    patient_external_id: Annotated[str, Form()] = "",
    visitor_name: Annotated[str, Form()] = "",
    visitor_phone: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    retry: Annotated[str, Form()] = "",
) -> Response:
    """POST /virtual-visits; on success, 303 to the visit's page with its join link."""
    settings = settings_of(ui)
    values = {
        "patient_external_id": patient_external_id.strip()[:64],
        "visitor_name": visitor_name[:200],
        "visitor_phone": visitor_phone.strip()[:32],
        "start": start[:20],
        "retry": retry[:64],
    }
    when = local_datetime(start, settings.timezone)
    data = {
        "patient_external_id": patient_external_id.strip(),
        "visitor_name": visitor_name,
        "visitor_phone": visitor_phone.strip(),
        "start": when,
    }
    body, problems = build(VirtualVisitCreate, data)
    errors = field_errors(ui, problems)
    if when is None:
        errors["start"] = ui.gettext("Enter a date and time.")
    if body is None or errors:
        return _form(ui, values, errors, 422)
    key = retry if retry.startswith("ui-") and len(retry) <= 64 else None
    principal, screening, now = caller(ui), ui.request.app.state.screening, now_of(ui)
    booked = attempt(
        ui,
        session,
        lambda: book_virtual_visit(session, audit, principal, body, screening, settings, now, key),
    )
    if isinstance(booked, Problem):
        values["retry"] = retry_key()
        return _form(ui, values, {"": refusal(ui, booked)}, booked.status)
    # Post/redirect/get: Back or reload shows the visit, never books it again (a double
    # submit replays the first booking and lands on the same page).
    visit = answer_document(booked)
    return ui.redirect(ui.url(f"/virtual-visits/{visit['id']}?booked=1"))


@router.get("/virtual-visits/{visit_id}", summary="One virtual visit and its join link")
def visit_page(
    ui: WardStaff, session: DbSession, audit: Audit, visit_id: str, booked: str = ""
) -> Response:
    """The visit's time, ward, visitor and the link to send the visitor."""
    found: Any = None
    if 0 < len(visit_id) <= 32 and set(visit_id) <= VISIT_ID:
        settings = settings_of(ui)
        found = attempt(ui, session, lambda: read_virtual_visit(session, audit, visit_id, settings))
    if found is None or isinstance(found, Problem):
        message = ui.gettext("There is no such virtual visit.")
        return ui.error(NotFound(message, code="unknown_virtual_visit"))
    visit = found.model_dump(mode="json")
    return ui.render(
        "appointments/visit_booked.html", visit=visit, just_booked=booked == "1", **words()
    )
