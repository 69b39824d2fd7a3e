"""The appointments service's codes in words (msgids, translated when shown)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from shared.auth.roles import ADMIN, AUDITOR, WARD_STAFF
from shared.errors import Problem
from shared.web.ui import N_, Ui, signed_in_as

WardStaff = Annotated[Ui, Depends(signed_in_as(*WARD_STAFF))]
ArrivalsReader = Annotated[Ui, Depends(signed_in_as(*WARD_STAFF, AUDITOR, ADMIN))]

STATUSES = {
    "booked": N_("Booked"),
    "checked_in": N_("Checked in"),
    "redirected_fever_clinic": N_("Sent to the fever clinic"),
    "cancelled": N_("Cancelled"),
    "rescheduled": N_("Rescheduled"),
    "no_show": N_("Did not come"),
    "completed": N_("Completed"),
}
HEALTH_CODES = {"green": N_("Green"), "yellow": N_("Yellow"), "red": N_("Red")}
YES_NO = {"yes": N_("Yes"), "no": N_("No")}
CHECK_IN_REASONS = {
    "fever": N_("Fever: %(temperature)s °C (the limit is %(limit)s °C)."),
    "health_code_yellow": N_("The health code is yellow."),
    "health_code_red": N_("The health code is red."),
    "risk_area_travel": N_("Travel to a risk area in the last 14 days."),
    "no_mask": N_("No mask is worn. The patient may check in again wearing a mask."),
}
REFUSALS = {
    "slot_full": N_("That slot is fully booked. Choose another slot."),
    "duplicate_booking": N_(
        "The patient already holds an appointment in this department that day."
    ),
    "not_a_slot_start": N_("No slot starts at that time. Choose a slot from the list."),
    "slot_in_past": N_("That slot has already ended. Choose a later slot."),
    "beyond_booking_horizon": N_("That day is too far ahead to book yet."),
    "unknown_department": N_("There is no such department."),
    "outside_arrival_window": N_(
        "Check-in is open from %(minutes)d minutes before the slot starts until it ends."
    ),
    "already_checked_in": N_("The patient is already checked in."),
    "unknown_check_in": N_("There is no such check-in."),
    "appointment_not_active": N_("This appointment can no longer be checked in."),
    "unknown_appointment": N_("There is no such appointment."),
    "unknown_patient": N_("The screening service does not know this patient."),
    "not_inpatient": N_("Virtual visits are for inpatients only."),
    "no_ward": N_("The screening service has no ward for this inpatient."),
    "ward_window_full": N_(
        "The ward has no virtual visit places left in that half hour. Choose another time."
    ),
    "visit_in_past": N_("That visiting time has already passed."),
    "screening_unavailable": N_(
        "The screening service cannot be reached, so the patient's ward is unknown. Nothing "
        "was booked; try again in a moment."
    ),
    "database_busy": N_("The database is busy. Please try again in a moment."),
    "validation_error": N_("Please correct the marked fields."),
}


def refusal(ui: Ui, problem: Problem) -> str:
    """A refusal in words (the API's English detail only for codes the pages do not know)."""
    msgid = REFUSALS.get(problem.code)
    if msgid is None:
        return problem.detail
    if "%(minutes)d" in msgid:
        minutes = int(getattr(ui.settings, "wardgate_arrival_early_minutes", 15))
        return ui.gettext(msgid, minutes=minutes)
    return ui.gettext(msgid)


def department_label(names: dict[str, str], code: str) -> str:
    """A department as people read it: "Respiratory clinic (RESP)" (the code alone if unknown)."""
    name = names.get(code)
    return f"{name} ({code})" if name else code


def words() -> dict[str, Any]:
    """The appointments vocabularies as template context."""
    return {"STATUSES": STATUSES, "HEALTH_CODES": HEALTH_CODES, "YES_NO": YES_NO}
