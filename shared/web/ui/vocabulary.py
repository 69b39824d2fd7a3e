"""The contract's codes in words, for every service's pages (msgids; shown translated).

Templates write `{{ _(TEST_TYPES.get(code, code)) }}`: an unknown code shows as itself.
"""

from __future__ import annotations

from typing import Any

from shared.web.ui.i18n import N_

TEST_TYPES = {
    "nucleic_acid": N_("Nucleic acid test"),
    "antibody_igm": N_("IgM antibody"),
    "antibody_igg": N_("IgG antibody"),
    "chest_ct": N_("Chest CT"),
    "blood_routine": N_("Blood routine"),
}
RESULTS = {
    "negative": N_("Negative"),
    "positive": N_("Positive"),
    "indeterminate": N_("Indeterminate"),
    "normal": N_("Normal"),
    "abnormal": N_("Abnormal"),
}
RESULT_STATUSES = {
    "preliminary": N_("Preliminary"),
    "final": N_("Final"),
    "corrected": N_("Corrected"),
    "entered_in_error": N_("Entered in error"),
}
CATEGORIES = {
    "staff": N_("Staff"),
    "inpatient": N_("Inpatient"),
    "outpatient": N_("Outpatient"),
    "caregiver": N_("Caregiver"),
    "public": N_("Resident (self-requested test)"),
}
# Screening states: words and a tone (good / warn / bad / info) shown with a symbol.
SCREENING_STATES = {
    "ok": (N_("Up to date"), "good"),
    "missing": (N_("Missing"), "warn"),
    "expired": (N_("Expired"), "warn"),
    "positive": (N_("Positive"), "bad"),
    "indeterminate": (N_("Indeterminate"), "warn"),
    "pending": (N_("Pending: preliminary result"), "info"),
    "abnormal": (N_("Abnormal"), "bad"),
}

# Audit trail actions (codes recorded by every service; collected with grep) in words.
AUDIT_ACTIONS = {
    "auth.denied": N_("Access denied"),
    "ui.sign_in": N_("Signed in"),
    "ui.sign_out": N_("Signed out"),
    "person.create": N_("Registered a person"),
    "person.update": N_("Changed a person"),
    "person.read": N_("Viewed a person"),
    "person.list": N_("Listed persons"),
    "person.search": N_("Searched persons"),
    "result.create": N_("Recorded a result"),
    "result.batch": N_("Received a batch of results"),
    "result.read": N_("Viewed results"),
    "result.retry": N_("Retried a held result"),
    "result.list": N_("Listed results"),
    "alert.list": N_("Listed open alerts"),
    "admission.end": N_("Admission ended (discharge received)"),
    "screening_status.read": N_("Viewed a screening status"),
    "compliance.read": N_("Viewed screening compliance"),
    "exposures.read": N_("Viewed an exposure list"),
    "inbox.list": N_("Listed held results"),
    "inbox.hold": N_("Held a result for matching"),
    "inbox.match": N_("Matched a held result"),
    "hl7.message": N_("HL7 message received"),
    "fhir.observation": N_("FHIR result received"),
    "fhir.bundle": N_("FHIR bundle received"),
    "department.create": N_("Added a department"),
    "department.update": N_("Changed a department"),
    "appointment.book": N_("Booked an appointment"),
    "appointment.reschedule": N_("Rescheduled an appointment"),
    "appointment.cancel": N_("Cancelled an appointment"),
    "appointment.check_in": N_("Checked in at the entrance"),
    "appointment.complete": N_("Completed an appointment"),
    "appointment.no_show": N_("Marked a no-show"),
    "appointment.read": N_("Viewed an appointment"),
    "appointment.list": N_("Listed appointments"),
    "check_in.list": N_("Listed check-ins"),
    "check_in.read": N_("Viewed a check-in"),
    "virtual_visit.book": N_("Booked a virtual visit"),
    "virtual_visit.cancel": N_("Cancelled a virtual visit"),
    "virtual_visit.read": N_("Viewed a virtual visit"),
    "virtual_visit.list": N_("Listed virtual visits"),
    "discharge.check": N_("Discharge check"),
    "discharge_check.list": N_("Listed discharge checks"),
    "discharge.attempt": N_("Discharge attempt"),
    "discharge.read": N_("Viewed a discharge attempt"),
    "discharge.list": N_("Listed discharge attempts"),
    "discharge.export": N_("Exported discharge attempts"),
}
# Audit outcomes in words and a tone; "blocked:conflict" reads as "blocked" plus its code.
AUDIT_OUTCOMES = {
    "ok": (N_("Done"), "good"),
    "failed": (N_("Failed"), "bad"),
    "locked_out": (N_("Locked out"), "bad"),
    "unauthorized": (N_("Not signed in"), "bad"),
    "forbidden": (N_("Not allowed"), "bad"),
    "rejected": (N_("Rejected"), "bad"),
    "eligible": (N_("May be discharged"), "good"),
    "not_eligible": (N_("May not be discharged"), "warn"),
    "discharged": (N_("Discharged"), "good"),
    "blocked": (N_("Blocked"), "bad"),
    "exception": (N_("Discharged as an exception"), "warn"),
    "admitted": (N_("Allowed in"), "good"),
    "redirected_fever_clinic": (N_("Sent to the fever clinic"), "warn"),
    "refused": (N_("Refused entry"), "bad"),
    "held": (N_("Held for matching"), "warn"),
}


def words() -> dict[str, Any]:
    """The vocabularies as template context."""
    return {
        "TEST_TYPES": TEST_TYPES,
        "RESULTS": RESULTS,
        "RESULT_STATUSES": RESULT_STATUSES,
        "CATEGORIES": CATEGORIES,
        "SCREENING_STATES": SCREENING_STATES,
        "AUDIT_ACTIONS": AUDIT_ACTIONS,
        "AUDIT_OUTCOMES": AUDIT_OUTCOMES,
    }


# English refusals of the API that pages show as they are when a page knows no better words:
# listed here so the catalogue translates them (`Ui.translated`); problem+json stays English.
API_DETAILS = (
    N_("`from` must be before `to`."),
    N_("The window may span at most 366 days."),
    N_("The result was changed concurrently; retry."),
    N_("This Idempotency-Key was already used with a different request body."),
    N_("That slot is fully booked; choose another slot."),
    N_("The patient is already checked in."),
    N_("The slot has not ended yet."),
    N_("This admission already ended with another discharge."),
    N_("The screening service has no ward for this inpatient."),
    N_("The database is busy. Please try again in a moment."),
)
