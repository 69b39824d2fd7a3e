"""Checking a patient in at the door: the readings, and the outcome big and clear."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from services.appointments.check_ins.schemas import PLAUSIBLE_TEMPERATURE_C, CheckInCreate
from services.appointments.check_ins.service import check_in, last_check_in, read_check_in
from services.appointments.ui.arrivals import door, find_appointment, no_such_appointment
from services.appointments.ui.booking import department_names, now_of, settings_of
from services.appointments.ui.words import (
    CHECK_IN_REASONS,
    WardStaff,
    department_label,
    refusal,
    words,
)
from shared.audit import Audit
from shared.db import DbSession
from shared.errors import NotFound, Problem
from shared.web.ui import N_, Ui, csrf_protected
from shared.web.ui.forms import attempt, build, caller, field_errors

router = APIRouter()
TONES = {"admitted": "good", "redirected_fever_clinic": "warn", "refused": "bad"}
# After these the door's decision stands: the form is not offered again (a patient refused
# for want of a mask stays `booked` and may come back with one).
DECIDED = frozenset({"checked_in", "redirected_fever_clinic", "completed"})
REMEASURE = N_(
    "Re-measure the temperature: %(temperature)s °C is outside %(low)s to %(high)s °C, the range "
    "a body temperature can have, so the thermometer is most likely wrong."
)


def _reasons(ui: Ui, reasons: list[dict[str, Any]], temperature: float) -> list[str]:
    limit = settings_of(ui).wardgate_fever_threshold_c
    shown = []
    for reason in reasons:
        msgid = CHECK_IN_REASONS.get(str(reason.get("code")))
        if msgid is None:
            shown.append(str(reason.get("detail", "")))
        elif "%(temperature)s" in msgid:
            shown.append(ui.gettext(msgid, temperature=f"{temperature:.1f}", limit=f"{limit:.1f}"))
        else:
            shown.append(ui.gettext(msgid))
    return shown


def _outcome_page(
    ui: Ui,
    session: Any,
    appointment: dict[str, Any],
    attempt_: dict[str, Any],
    status: int = 200,
    notice: str | None = None,
) -> Response:
    """One check-in attempt's outcome, big and clear."""
    names = department_names(ui, session)
    return ui.render(
        "appointments/checked_in.html",
        status=status,
        appointment=appointment,
        result=attempt_,
        notice=notice,
        department_name=department_label(names, appointment["department"]),
        door=door(ui, appointment),
        tone=TONES.get(attempt_["outcome"], "warn"),
        reasons=_reasons(ui, attempt_["reasons"], attempt_["temperature_c"]),
        **words(),
    )


def _door_page(
    ui: Ui,
    session: Any,
    appointment: dict[str, Any],
    values: dict[str, str],
    errors: dict[str, str],
    status: int,
) -> Response:
    """The readings form while the door is open; else the outcome, or why it is closed."""
    last = last_check_in(session, appointment["id"], settings_of(ui).timezone)
    previous = None if last is None else last.model_dump(mode="json")
    told = [] if previous is None else _reasons(ui, previous["reasons"], previous["temperature_c"])
    if previous is not None and appointment["status"] in DECIDED:
        return _outcome_page(ui, session, appointment, previous, status, errors.get(""))
    names = department_names(ui, session)
    return ui.render(
        "appointments/check_in.html",
        status=status,
        appointment=appointment,
        department_name=department_label(names, appointment["department"]),
        door=door(ui, appointment),
        previous=previous,
        previous_reasons=told,
        values=values,
        errors=errors,
        **words(),
    )


@router.get("/appointments/{appointment_id}/check-in", summary="Check a patient in (form)")
def check_in_form(ui: WardStaff, session: DbSession, audit: Audit, appointment_id: str) -> Response:
    """The entry-screening readings for one appointment, while its arrival window is open."""
    appointment = find_appointment(ui, session, audit, appointment_id)
    if appointment is None:
        return no_such_appointment(ui)
    return _door_page(ui, session, appointment, {}, {}, 200)


def _readings(ui: Ui, form: dict[str, str]) -> tuple[CheckInCreate | None, dict[str, str]]:
    errors: dict[str, str] = {}
    text = form["temperature_c"].strip().replace(",", ".")
    try:
        temperature: Any = float(text) if len(text) <= 10 else None
    except ValueError:
        temperature = None
    if temperature is None:
        errors["temperature_c"] = ui.gettext("Enter a number.")
    yes_no = {"yes": True, "no": False}
    data = {
        "temperature_c": temperature,
        "mask": yes_no.get(form["mask"]),
        "health_code": form["health_code"],
        "risk_area_travel_14d": yes_no.get(form["risk_area_travel_14d"]),
    }
    body, problems = build(CheckInCreate, data)
    shown = field_errors(ui, problems)
    if any(p.get("type") == "implausible_temperature" for p in problems):
        low, high = PLAUSIBLE_TEMPERATURE_C
        shown["temperature_c"] = ui.gettext(
            REMEASURE, temperature=f"{temperature:.1f}", low=f"{low:.1f}", high=f"{high:.1f}"
        )
    return body, {**shown, **errors}


@router.post(
    "/appointments/{appointment_id}/check-in",
    summary="Check a patient in",
    dependencies=[Depends(csrf_protected)],
)
def record_check_in(
    ui: WardStaff,
    session: DbSession,
    audit: Audit,
    appointment_id: str,
    temperature_c: Annotated[str, Form()] = "",
    mask: Annotated[str, Form()] = "",
    health_code: Annotated[str, Form()] = "",
    risk_area_travel_14d: Annotated[str, Form()] = "",
) -> Response:
    """POST /appointments/{id}/check-in; on success, 303 to the attempt's outcome page."""
    appointment = find_appointment(ui, session, audit, appointment_id)
    if appointment is None:
        return no_such_appointment(ui)
    values = {
        "temperature_c": temperature_c[:10],
        "mask": mask[:3],
        "health_code": health_code[:10],
        "risk_area_travel_14d": risk_area_travel_14d[:3],
    }
    body, errors = _readings(ui, values)
    if body is None or errors:
        return _door_page(ui, session, appointment, values, errors, 422)
    principal, settings, now = caller(ui), settings_of(ui), now_of(ui)
    outcome = attempt(
        ui,
        session,
        lambda: check_in(session, audit, principal, appointment_id, body, settings, now),
    )
    if not isinstance(outcome, Problem):
        # Post/redirect/get: Back or reload shows the outcome, never screens the patient again.
        where = f"/appointments/{appointment_id}/check-ins/{outcome.check_in_id}"
        return ui.redirect(ui.url(where))
    # Raised refusals were undone; outside the window the refusal is returned, its audit kept.
    appointment = find_appointment(ui, session, audit, appointment_id) or appointment
    return _door_page(ui, session, appointment, values, {"": refusal(ui, outcome)}, outcome.status)


@router.get(
    "/appointments/{appointment_id}/check-ins/{check_in_id}",
    summary="One check-in attempt's outcome",
)
def check_in_outcome(
    ui: WardStaff, session: DbSession, audit: Audit, appointment_id: str, check_in_id: str
) -> Response:
    """Admitted, sent to the fever clinic, or refused: the stored attempt, with its reasons."""
    appointment = find_appointment(ui, session, audit, appointment_id)
    if appointment is None:
        return no_such_appointment(ui)
    digits = check_in_id.isascii() and check_in_id.isdigit() and len(check_in_id) <= 18
    number = int(check_in_id) if digits else 0
    tz = settings_of(ui).timezone
    found = attempt(ui, session, lambda: read_check_in(session, audit, number, tz))
    if isinstance(found, Problem) or found.appointment_id != appointment_id:
        return ui.error(NotFound(ui.gettext("There is no such check-in."), code="unknown_check_in"))
    return _outcome_page(ui, session, appointment, found.model_dump(mode="json"))
