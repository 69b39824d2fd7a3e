"""Checking a patient in at the door: the readings, and the outcome big and clear."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from services.appointments.bookings.service import read_appointment
from services.appointments.check_ins.schemas import CheckInCreate
from services.appointments.check_ins.service import check_in
from services.appointments.ui.booking import now_of, settings_of
from services.appointments.ui.words import CHECK_IN_REASONS, WardStaff, refusal, words
from shared.audit import Audit, AuditTrail
from shared.db import DbSession
from shared.errors import NotFound, Problem
from shared.web.ui import Ui, csrf_protected
from shared.web.ui.forms import attempt, build, caller, field_errors

router = APIRouter()
APPOINTMENT_ID = frozenset("0123456789abcdef")
TONES = {"admitted": "good", "redirected_fever_clinic": "warn", "refused": "bad"}


def _appointment(ui: Ui, session: Any, audit: AuditTrail, appointment_id: str) -> Any:
    if not 0 < len(appointment_id) <= 32 or not set(appointment_id) <= APPOINTMENT_ID:
        return None
    tz = settings_of(ui).timezone
    found = attempt(ui, session, lambda: read_appointment(session, audit, appointment_id, tz))
    return None if isinstance(found, Problem) else found.model_dump(mode="json")


def _no_such_appointment(ui: Ui) -> Response:
    message = ui.gettext("There is no such appointment.")
    return ui.error(NotFound(message, code="unknown_appointment"))


def _form(
    ui: Ui, appointment: dict[str, Any], values: dict[str, str], errors: dict[str, str], status: int
) -> Response:
    return ui.render(
        "appointments/check_in.html",
        status=status,
        appointment=appointment,
        values=values,
        errors=errors,
        **words(),
    )


@router.get("/appointments/{appointment_id}/check-in", summary="Check a patient in (form)")
def check_in_form(ui: WardStaff, session: DbSession, audit: Audit, appointment_id: str) -> Response:
    """The entry-screening readings for one appointment."""
    appointment = _appointment(ui, session, audit, appointment_id)
    if appointment is None:
        return _no_such_appointment(ui)
    return _form(ui, appointment, {}, {}, 200)


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
    if "temperature_c" in shown and "temperature_c" not in errors:
        shown["temperature_c"] = ui.gettext("Enter a body temperature between 30 and 45 °C.")
    return body, {**shown, **errors}


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
    """POST /appointments/{id}/check-in: admitted, sent to the fever clinic, or refused."""
    appointment = _appointment(ui, session, audit, appointment_id)
    if appointment is None:
        return _no_such_appointment(ui)
    values = {
        "temperature_c": temperature_c[:10],
        "mask": mask[:3],
        "health_code": health_code[:10],
        "risk_area_travel_14d": risk_area_travel_14d[:3],
    }
    body, errors = _readings(ui, values)
    if body is None or errors:
        return _form(ui, appointment, values, errors, 422)
    principal, settings, now = caller(ui), settings_of(ui), now_of(ui)
    outcome = attempt(
        ui,
        session,
        lambda: check_in(session, audit, principal, appointment_id, body, settings, now),
    )
    if not isinstance(outcome, Problem):
        result = outcome.model_dump(mode="json")
        return ui.render(
            "appointments/checked_in.html",
            result=result,
            tone=TONES.get(result["outcome"], "warn"),
            reasons=_reasons(ui, result["reasons"], body.temperature_c),
            **words(),
        )
    # Raised refusals were undone; outside the window the refusal is returned, its audit kept.
    return _form(ui, appointment, values, {"": refusal(ui, outcome)}, outcome.status)
