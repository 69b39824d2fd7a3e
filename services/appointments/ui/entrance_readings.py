"""The entrance desk's readings (health code, temperature, mask, travel) and its decision.

Shared by the booked visitor's check-in and the walk-in: the form's fields in, the API's
input model out; a stored check-in attempt in, the decision as the desk shows it out.
"""

from __future__ import annotations

from typing import Any

from services.appointments.check_ins.schemas import PLAUSIBLE_TEMPERATURE_C
from services.appointments.check_ins.service import read_check_in
from services.appointments.ui.booking import department_names, settings_of
from services.appointments.ui.words import CHECK_IN_REASONS, department_label
from shared.audit import Audit
from shared.errors import Problem
from shared.web.ui import N_, Ui
from shared.web.ui.forms import attempt

# The door refuses readings a body cannot have (issue 17: below 35 or above 42 °C) with a
# re-measure prompt, in the page and here for the no-script form; never stricter than the API.
DESK_TEMPERATURE_C = (max(35.0, PLAUSIBLE_TEMPERATURE_C[0]), PLAUSIBLE_TEMPERATURE_C[1])
READING_FIELDS = (
    "health_code_payload",
    "health_code",
    "temperature_c",
    "mask",
    "risk_area_travel_14d",
)
LIMITS = {"health_code_payload": 2953, "health_code": 10, "temperature_c": 10}
TONES = {"admitted": "good", "redirected_fever_clinic": "warn", "refused": "bad"}
REMEASURE = N_(
    "Re-measure the temperature: %(temperature)s °C is outside %(low)s to %(high)s °C, the range "
    "a body temperature can have, so the thermometer is most likely wrong."
)
NO_CODE = N_("Scan the health code, or choose the colour shown on the phone.")
INVALID_CODE = N_(
    "The health code is not valid (forged, expired, or someone else's). Do not admit on it."
)
HEALTH_CODE_UNAVAILABLE = N_(
    "The health code cannot be verified right now. Choose the colour shown on the phone "
    "and check in again: it is recorded as read by hand."
)
YES_NO = {"yes": True, "no": False}


def posted_readings(form: dict[str, str]) -> dict[str, str]:
    """The readings' fields as posted, cut to their bounds (shown again on an error)."""
    return {name: form.get(name, "")[: LIMITS.get(name, 3)] for name in READING_FIELDS}


def _temperature(ui: Ui, text: str) -> tuple[float | None, str | None]:
    cleaned = text.strip().replace(",", ".")
    try:
        value = float(cleaned) if cleaned else None
    except ValueError:
        value = None
    if value is None or value != value or value in (float("inf"), float("-inf")):
        return None, ui.gettext("Enter a number.")
    low, high = DESK_TEMPERATURE_C
    if not low <= value <= high:
        return None, ui.gettext(
            REMEASURE, temperature=f"{value:.1f}", low=f"{low:.1f}", high=f"{high:.1f}"
        )
    return value, None


def reading_data(ui: Ui, values: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The API's fields from the form, and the errors the desk finds before asking it."""
    errors: dict[str, str] = {}
    temperature, problem = _temperature(ui, values["temperature_c"])
    if problem:
        errors["temperature_c"] = problem
    payload = values["health_code_payload"].strip() or None
    colour = values["health_code"].strip() or None
    if payload is None and colour is None:
        errors["health_code_payload"] = ui.gettext(NO_CODE)
    data = {
        "temperature_c": temperature,
        "mask": YES_NO.get(values["mask"]),
        "health_code": colour,
        "health_code_payload": payload,
        "risk_area_travel_14d": YES_NO.get(values["risk_area_travel_14d"]),
    }
    return data, errors


def refusal_errors(ui: Ui, problem: Problem) -> dict[str, str] | None:
    """A refusal of the readings in words by field (None when it is not about them)."""
    if problem.code == "health_code_unavailable":
        return {"health_code": ui.gettext(HEALTH_CODE_UNAVAILABLE)}
    return None


def reasons_in_words(ui: Ui, reasons: list[dict[str, Any]], temperature: float) -> list[str]:
    """Why the visitor was not admitted, in the page's language."""
    limit = settings_of(ui).wardgate_fever_threshold_c
    shown = []
    for reason in reasons:
        code = str(reason.get("code"))
        msgid = INVALID_CODE if code == "health_code_invalid" else CHECK_IN_REASONS.get(code)
        if msgid is None:
            shown.append(str(reason.get("detail", "")))
        elif "%(temperature)s" in msgid:
            shown.append(ui.gettext(msgid, temperature=f"{temperature:.1f}", limit=f"{limit:.1f}"))
        else:
            shown.append(ui.gettext(msgid))
    return shown


def decision_of(ui: Ui, session: Any, audit: Audit, check_in_id: int) -> dict[str, Any] | None:
    """A stored attempt as the desk shows it, or None when there is no such attempt."""
    tz = settings_of(ui).timezone
    found = attempt(ui, session, lambda: read_check_in(session, audit, check_in_id, tz))
    if isinstance(found, Problem):
        return None
    stored = found.model_dump(mode="json")
    names = department_names(ui, session)
    return {
        "id": found.id,
        "appointment_id": found.appointment_id,
        "outcome": stored["outcome"],
        "tone": TONES.get(stored["outcome"], "warn"),
        "patient_name": found.patient_name,
        "department_name": department_label(names, found.department),
        "at": ui.local_time(found.at, with_date=False),
        "reasons": reasons_in_words(ui, stored["reasons"], found.temperature_c),
        "source": stored["health_code_source"],
        "temperature": f"{found.temperature_c:.1f}",
    }
