"""The entrance desk: scan the code, take the temperature, check the mask.

A nurse at the door finds the visitor (booking code scanned or typed, name, patient id; every
department, the current arrival window), scans the visitor's health code, types the
temperature and presses one button; the decision shows big, with the scan field for the next
visitor below it. Plain forms (post/redirect/get): `entrance.js` adds the camera and the
keyboard-wedge niceties.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from services.appointments.check_ins.schemas import CheckInCreate
from services.appointments.check_ins.service import check_in
from services.appointments.entrance.service import find_arrivals
from services.appointments.entrance.verifier import health_code_verifier
from services.appointments.ui import entrance_walk_in
from services.appointments.ui.arrivals import door, find_appointment
from services.appointments.ui.booking import department_names, now_of, settings_of
from services.appointments.ui.entrance_readings import (
    DESK_TEMPERATURE_C,
    decision_of,
    posted_readings,
    reading_data,
    refusal_errors,
)
from services.appointments.ui.words import WardStaff, department_label, refusal, words
from shared.audit import Audit
from shared.db import DbSession
from shared.errors import Problem
from shared.web.ui import N_, Ui, csrf_protected
from shared.web.ui.forms import attempt, build, caller, field_errors

router = APIRouter()
router.include_router(entrance_walk_in.router)
MAX_QUERY = 200
HEALTH_CODE_IN_FIND = N_(
    "That is a health code. First find the visitor by booking code, name or patient id, "
    "then scan the health code."
)


def _looks_like_health_code(text: str) -> bool:
    """A compact JWS (three dot-separated parts, long): scanned into the wrong field."""
    parts = text.split(".")
    return len(parts) == 3 and len(text) > 80 and all(parts)


def _matches(ui: Ui, session: Any, audit: Audit, query: str) -> list[dict[str, Any]]:
    settings, now = settings_of(ui), now_of(ui)
    page = find_arrivals(session, audit, query, settings, now, limit=50)
    found = []
    for arrival in page.items:
        row = arrival.model_dump(mode="json")
        found.append(
            {
                **row["appointment"],
                "department_name": f"{arrival.department_name} ({arrival.appointment.department})",
                "door": door(ui, row["appointment"]),
            }
        )
    return found


def _chosen(ui: Ui, session: Any, appointment: dict[str, Any]) -> dict[str, Any]:
    names = department_names(ui, session)
    return {
        **appointment,
        "department_name": department_label(names, appointment["department"]),
        "door": door(ui, appointment),
    }


def _desk(ui: Ui, status: int = 200, **context: Any) -> Response:
    low, high = DESK_TEMPERATURE_C
    defaults: dict[str, Any] = {
        "query": "",
        "matches": None,
        "chosen": None,
        "decision": None,
        "values": {},
        "errors": {},
        "low": f"{low:.1f}",
        "high": f"{high:.1f}",
    }
    return ui.render(
        "appointments/entrance.html", status=status, **{**defaults, **context}, **words()
    )


@router.get("/entrance", summary="The entrance desk")
def entrance_desk(
    ui: WardStaff, session: DbSession, audit: Audit, appointment: str = ""
) -> Response:
    """The find field; with `appointment` (an opaque id), that visitor's readings form."""
    if appointment:
        found = find_appointment(ui, session, audit, appointment[:32])
        if found is not None:
            return _desk(ui, chosen=_chosen(ui, session, found))
    return _desk(ui)


@router.post(
    "/entrance",
    summary="Find the visitor at the entrance",
    dependencies=[Depends(csrf_protected)],
)
def find_visitor(
    ui: WardStaff, session: DbSession, audit: Audit, q: Annotated[str, Form()] = ""
) -> Response:
    """Booking code, patient id or name; one open match: 303 to its readings form.

    Posted, not a query string: names and patient ids stay out of URLs, browser history and
    the gateway's access log; the readings form's URL carries only the appointment's id.
    """
    query = q.strip()[:MAX_QUERY]
    if not query:
        return _desk(ui, 422, errors={"q": ui.gettext("Please fill this in.")})
    if not query.isprintable():
        return _desk(ui, 422, errors={"q": ui.gettext("This value is not valid.")})
    if _looks_like_health_code(query):
        return _desk(ui, 422, errors={"q": ui.gettext(HEALTH_CODE_IN_FIND)})
    matches = _matches(ui, session, audit, query)
    open_ = [m for m in matches if m["door"]["state"] == "open"]
    if len(matches) == 1 and len(open_) == 1:
        return ui.redirect(ui.url(f"/entrance?appointment={open_[0]['id']}"))
    return _desk(ui, query=query, matches=matches)


@router.post(
    "/entrance/check-ins",
    summary="Check a visitor in at the entrance",
    dependencies=[Depends(csrf_protected)],
)
def entrance_check_in(
    request: Request,
    ui: WardStaff,
    session: DbSession,
    audit: Audit,
    appointment_id: Annotated[str, Form()] = "",
    health_code_payload: Annotated[str, Form()] = "",
    health_code: Annotated[str, Form()] = "",
    temperature_c: Annotated[str, Form()] = "",
    mask: Annotated[str, Form()] = "",
    risk_area_travel_14d: Annotated[str, Form()] = "",
) -> Response:
    """POST /appointments/{id}/check-in with the scanned payload; 303 to the decision."""
    found = find_appointment(ui, session, audit, appointment_id[:32])
    if found is None:
        return _desk(ui, 404, errors={"q": ui.gettext("There is no such appointment.")})
    chosen = _chosen(ui, session, found)
    values = posted_readings(
        {
            "health_code_payload": health_code_payload,
            "health_code": health_code,
            "temperature_c": temperature_c,
            "mask": mask,
            "risk_area_travel_14d": risk_area_travel_14d,
        }
    )
    data, errors = reading_data(ui, values)
    body, problems = build(CheckInCreate, data) if not errors else (None, [])
    errors = {**field_errors(ui, problems), **errors}
    if body is None or errors:
        return _desk(ui, 422, chosen=chosen, values=values, errors=errors)
    principal, settings, now = caller(ui), settings_of(ui), now_of(ui)
    verifier = health_code_verifier(request)
    outcome = attempt(
        ui,
        session,
        lambda: check_in(session, audit, principal, found["id"], body, settings, now, verifier),
    )
    if isinstance(outcome, Problem):
        errors = refusal_errors(ui, outcome) or {"": refusal(ui, outcome)}
        again = find_appointment(ui, session, audit, found["id"]) or found
        chosen = _chosen(ui, session, again)
        return _desk(ui, outcome.status, chosen=chosen, values=values, errors=errors)
    # Post/redirect/get: reload or Back shows the decision, never screens the visitor again.
    return ui.redirect(ui.url(f"/entrance/check-ins/{outcome.check_in_id}"))


@router.get("/entrance/check-ins/{check_in_id}", summary="The entrance's decision")
def entrance_decision(
    ui: WardStaff, session: DbSession, audit: Audit, check_in_id: str
) -> Response:
    """The decision in large type and colour, and the scan field for the next visitor."""
    digits = check_in_id.isascii() and check_in_id.isdigit() and len(check_in_id) <= 18
    decision = decision_of(ui, session, audit, int(check_in_id)) if digits else None
    if decision is None:
        return _desk(ui, 404, errors={"q": ui.gettext("There is no such check-in.")})
    return _desk(ui, decision=decision)
