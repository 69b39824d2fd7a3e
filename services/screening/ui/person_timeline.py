"""The person page's timeline in words: the other services' codes, and what could not be read."""

from __future__ import annotations

from typing import Any

import anyio.from_thread

from services.screening.clients.records import Reason, RecordSources
from services.screening.timeline import service as timeline
from shared.vocabulary import Disposition, Outcome
from shared.web.ui import N_, Ui
from shared.web.ui.vocabulary import TEST_TYPES

# How an admission ended (discharge's `disposition`): "home" is going home, never a web page.
DISPOSITIONS = {
    Disposition.HOME: N_("Went home"),
    Disposition.TRANSFER: N_("Transferred to another hospital"),
    Disposition.DESIGNATED_HOSPITAL: N_("Transferred to a designated hospital"),
    Disposition.DEATH: N_("Died"),
}
CHECK_IN_OUTCOMES = {
    "admitted": (N_("Allowed in"), "good"),
    "redirected_fever_clinic": (N_("Sent to the fever clinic"), "warn"),
    "refused": (N_("Refused entry"), "bad"),
}
DISCHARGE_OUTCOMES = {
    Outcome.DISCHARGED: (N_("Discharged"), "good"),
    Outcome.BLOCKED: (N_("Discharge blocked"), "bad"),
    Outcome.EXCEPTION: (N_("Discharged as an exception"), "warn"),
}
VISIT_STATUSES = {"booked": N_("Booked"), "cancelled": N_("Cancelled")}
# Discharge check reasons; `%(test)s` is the test's name when the reason names one.
CHECK_REASONS = {
    "missing": N_("%(test)s: no result on record."),
    "expired": N_("%(test)s: the latest result was collected too long ago."),
    "positive": N_("%(test)s: the latest result is positive."),
    "indeterminate": N_("%(test)s: the latest result is indeterminate."),
    "pending": N_("%(test)s: a newer result is still preliminary."),
    "needs_two_negatives": N_(
        "After a positive nucleic acid test, two negatives at least 24 hours apart are needed."
    ),
    "not_inpatient": N_("Not registered as an inpatient."),
    "unknown_patient": N_("The screening service did not know this patient."),
    "screening_unavailable": N_("The screening service could not be asked."),
    "already_discharged": N_("This admission had already ended with a discharge."),
}
SERVICE_DOWN = {
    "appointments": N_("The appointments service cannot be reached right now."),
    "discharge": N_("The discharge service cannot be reached right now."),
}
SERVICE_UNREADABLE = {
    "appointments": N_("The appointments service gave an answer this page cannot read."),
    "discharge": N_("The discharge service gave an answer this page cannot read."),
}
MISSING = {
    "check_ins": N_("check-ins"),
    "virtual_visits": N_("virtual visits"),
    "discharge_checks": N_("discharge checks"),
    "discharges": N_("discharge records"),
    "departments": N_("department names"),
}


def notice_text(ui: Ui, notice: timeline.Notice) -> str:
    """Why some records are not on the page, and which, in the caller's language."""
    chinese = ui.html_lang.startswith("zh")
    missing = ("、" if chinese else ", ").join(
        ui.gettext(MISSING.get(m, m)) for m in notice.missing
    )
    if notice.why == "forbidden":
        return ui.gettext("Your role may not read these records: %(missing)s.", missing=missing)
    words = SERVICE_DOWN if notice.why == "unreachable" else SERVICE_UNREADABLE
    lead = ui.gettext(words[notice.source])
    space = "" if chinese else " "  # Chinese sentences and lists run on without spaces
    return lead + space + ui.gettext("Not shown: %(missing)s.", missing=missing)


def reason_text(ui: Ui, reason: Reason) -> str:
    """One discharge check reason in words (the stored detail for a code not known here)."""
    msgid = CHECK_REASONS.get(reason.code)
    if msgid is None:
        return reason.detail or reason.code
    if "%(test)s" in msgid:
        test = reason.test_type or ""
        return ui.gettext(msgid, test=ui.gettext(TEST_TYPES.get(test, test)) if test else "—")
    return ui.gettext(msgid)


def record_sources(ui: Ui) -> RecordSources:
    """The app's clients of appointments and discharge."""
    sources: RecordSources = ui.request.app.state.record_sources  # made by the lifespan
    return sources


def department_names(ui: Ui) -> dict[str, str]:
    """Department names by code, for a page in a worker thread ({} when they cannot be read)."""
    assert ui.principal is not None  # pages call this behind a sign-in
    try:
        return anyio.from_thread.run(timeline.department_names, record_sources(ui), ui.principal)
    except RuntimeError:  # not in a worker thread of the app's loop
        return {}


def timeline_words() -> dict[str, Any]:
    """The timeline's vocabularies as template context."""
    return {
        "DISPOSITIONS": DISPOSITIONS,
        "CHECK_IN_OUTCOMES": CHECK_IN_OUTCOMES,
        "DISCHARGE_OUTCOMES": DISCHARGE_OUTCOMES,
        "VISIT_STATUSES": VISIT_STATUSES,
        "notice_text": notice_text,
        "reason_text": reason_text,
    }
