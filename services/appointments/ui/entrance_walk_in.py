"""A walk-in at the entrance: no booking, so the current or next free slot of the department
the visitor needs is booked and the visitor checked in, in one form (capacity rules unchanged).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from services.appointments.departments.service import list_departments, slots_of_day
from services.appointments.entrance.schemas import WalkInCreate
from services.appointments.entrance.service import walk_in
from services.appointments.entrance.verifier import health_code_verifier
from services.appointments.ui.booking import now_of, settings_of
from services.appointments.ui.entrance_readings import (
    DESK_TEMPERATURE_C,
    posted_readings,
    reading_data,
    refusal_errors,
)
from services.appointments.ui.words import WardStaff, refusal, words
from shared.audit import Audit
from shared.db import DbSession
from shared.errors import Problem
from shared.web.ui import N_, Ui, csrf_protected
from shared.web.ui.forms import attempt, build, caller, field_errors

router = APIRouter()
VISITOR_FIELDS = ("department", "patient_name", "patient_external_id", "phone")
NO_FREE_SLOT = N_(
    "This department has no free place left today. Send the visitor to book another day, or "
    "ask the department."
)


def _offer(ui: Ui, session: Any, code: str) -> dict[str, Any] | None:
    """The slot a walk-in would get now: the current one with a place, else the next."""
    tz, now = settings_of(ui).timezone, now_of(ui)
    found = attempt(ui, session, lambda: slots_of_day(session, code, None, tz, now))
    if isinstance(found, Problem):
        return None
    for slot in found.items:
        if slot.end > now and slot.available > 0:
            return {
                "start": ui.local_time(slot.start, with_date=False),
                "end": ui.local_time(slot.end, with_date=False),
                "available": slot.available,
                "current": slot.start <= now,
            }
    return {}


def _page(
    ui: Ui,
    session: Any,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    tz = settings_of(ui).timezone
    departments = [d.model_dump(mode="json") for d in list_departments(session, tz)]
    known = {d["code"] for d in departments}
    chosen = values.get("department", "")
    offer = _offer(ui, session, chosen) if chosen in known else None
    if chosen and chosen not in known:
        errors = {**errors, "department": ui.gettext("Choose one of the options.")}
    low, high = DESK_TEMPERATURE_C
    return ui.render(
        "appointments/entrance_walk_in.html",
        status=422 if errors and status == 200 else status,
        departments=departments,
        offer=offer,
        values=values,
        errors=errors,
        low=f"{low:.1f}",
        high=f"{high:.1f}",
        **words(),
    )


@router.get("/entrance/walk-in", summary="A visitor without a booking (walk-in)")
def walk_in_form(ui: WardStaff, session: DbSession, department: str = "") -> Response:
    """The departments; for a chosen one, the slot a walk-in gets now and the readings."""
    return _page(ui, session, {"department": department[:64]}, {})


def _walk_in_data(
    ui: Ui, visitor: dict[str, str], readings: dict[str, str]
) -> tuple[WalkInCreate | None, dict[str, str]]:
    data, errors = reading_data(ui, readings)
    data.update(
        department=visitor["department"],
        patient_name=visitor["patient_name"],
        patient_external_id=visitor["patient_external_id"] or None,
        phone=visitor["phone"] or None,
    )
    body, problems = build(WalkInCreate, data) if not errors else (None, [])
    if not errors:
        errors = field_errors(ui, problems)
    return body, errors


@router.post(
    "/entrance/walk-in",
    summary="Book and check in a walk-in",
    dependencies=[Depends(csrf_protected)],
)
def record_walk_in(
    request: Request,
    ui: WardStaff,
    session: DbSession,
    audit: Audit,
    department: Annotated[str, Form()] = "",
    patient_name: Annotated[str, Form()] = "",
    patient_external_id: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    health_code_payload: Annotated[str, Form()] = "",
    health_code: Annotated[str, Form()] = "",
    temperature_c: Annotated[str, Form()] = "",
    mask: Annotated[str, Form()] = "",
    risk_area_travel_14d: Annotated[str, Form()] = "",
) -> Response:
    """POST /entrance/walk-ins: book the first free slot today and screen; 303 to the decision."""
    visitor = {
        "department": department[:64],
        "patient_name": patient_name.strip()[:200],
        "patient_external_id": patient_external_id.strip()[:64],
        "phone": phone.strip()[:32],
    }
    readings = posted_readings(
        {
            "health_code_payload": health_code_payload,
            "health_code": health_code,
            "temperature_c": temperature_c,
            "mask": mask,
            "risk_area_travel_14d": risk_area_travel_14d,
        }
    )
    values = {**visitor, **readings}
    body, errors = _walk_in_data(ui, visitor, readings)
    if body is None or errors:
        return _page(ui, session, values, errors, 422)
    principal, settings, now = caller(ui), settings_of(ui), now_of(ui)
    verifier = health_code_verifier(request)
    outcome = attempt(
        ui, session, lambda: walk_in(session, audit, principal, body, settings, now, verifier)
    )
    if isinstance(outcome, Problem):
        shown = refusal_errors(ui, outcome)
        if shown is None:
            text = ui.gettext(NO_FREE_SLOT) if outcome.code == "no_free_slot" else None
            shown = {"": text or refusal(ui, outcome)}
        return _page(ui, session, values, shown, outcome.status)
    return ui.redirect(ui.url(f"/entrance/check-ins/{outcome.check_in.check_in_id}"))
