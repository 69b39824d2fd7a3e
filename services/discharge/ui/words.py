"""The discharge service's codes in words (msgids, translated when shown)."""

from __future__ import annotations

from typing import Any

from shared.web.ui import N_, Ui
from shared.web.ui.vocabulary import TEST_TYPES

# Reasons a patient may not leave; `%(test)s` is the test's name when the reason has one.
REASONS = {
    "missing": N_("%(test)s: there is no result on record."),
    "expired": N_("%(test)s: the latest result was collected too long ago."),
    "positive": N_("%(test)s: the latest result is positive."),
    "indeterminate": N_("%(test)s: the latest result is indeterminate."),
    "pending": N_("%(test)s: a newer result is still preliminary (pending)."),
    "needs_two_negatives": N_(
        "After a positive nucleic acid test, two negative results collected at least 24 hours "
        "apart are needed, both after the positive one."
    ),
    "not_inpatient": N_("This person is not registered as an inpatient."),
    "unknown_patient": N_("The screening service does not know this patient."),
    "screening_unavailable": N_(
        "The screening service could not be asked. Nobody is discharged without evidence: "
        "try again in a moment."
    ),
    "already_discharged": N_("This admission already ended with a discharge."),
}
REASONS_WITHOUT_TEST = {
    "missing": N_("A required result is missing."),
    "expired": N_("A required result was collected too long ago."),
    "positive": N_("A required result is positive."),
    "indeterminate": N_("A required result is indeterminate."),
    "pending": N_("A required result is still preliminary (pending)."),
}
EVIDENCE_ROLES = {
    "counting": N_("Counting result"),
    "pending": N_("Newer preliminary result"),
    "last_positive": N_("Last positive result"),
    "negative_after_positive": N_("Negative after the positive"),
}
DISPOSITIONS = {
    "home": N_("Home"),
    "transfer": N_("Transfer to another hospital"),
    "designated_hospital": N_("Designated hospital (exception)"),
    "death": N_("Death (exception)"),
}
OUTCOMES = {
    "discharged": N_("Discharged"),
    "blocked": N_("Blocked"),
    "exception": N_("Exception"),
}
REFUSALS = {
    "forbidden": N_("Only infection control may record this kind of discharge."),
    "validation_error": N_("Please correct the marked fields."),
    "database_busy": N_("The database is busy. Please try again in a moment."),
}


def reason_text(ui: Ui, reason: dict[str, Any]) -> str:
    """One reason in the caller's language (the stored English detail for unknown codes)."""
    code, test_type = str(reason.get("code", "")), reason.get("test_type")
    if test_type and code in REASONS and "%(test)s" in REASONS[code]:
        test = ui.gettext(TEST_TYPES.get(test_type, test_type))
        return ui.gettext(REASONS[code], test=test)
    if code in REASONS_WITHOUT_TEST:
        return ui.gettext(REASONS_WITHOUT_TEST[code])
    if code in REASONS and "%(test)s" not in REASONS[code]:
        return ui.gettext(REASONS[code])
    return str(reason.get("detail", code))


def words() -> dict[str, Any]:
    """The discharge vocabularies as template context."""
    return {
        "EVIDENCE_ROLES": EVIDENCE_ROLES,
        "DISPOSITIONS": DISPOSITIONS,
        "OUTCOMES": OUTCOMES,
    }
