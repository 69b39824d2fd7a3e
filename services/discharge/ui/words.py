"""The discharge service's codes in words (msgids, translated when shown)."""

from __future__ import annotations

from typing import Any

from services.discharge.domain.discharge_rule import (
    COUNTING,
    LAST_POSITIVE,
    NEEDS_TWO_NEGATIVES,
    NEGATIVE_AFTER_POSITIVE,
    NOT_INPATIENT,
    PENDING_RESULT,
    POOLED_NOT_COUNTED,
    SCREENING_UNAVAILABLE,
    UNKNOWN_PATIENT,
)
from shared.vocabulary import Disposition, Outcome, ScreeningState
from shared.web.ui import N_, Ui
from shared.web.ui.vocabulary import TEST_TYPES

# Reasons a patient may not leave; `%(test)s` is the test's name when the reason has one.
REASONS = {
    ScreeningState.MISSING: N_("%(test)s: there is no result on record."),
    ScreeningState.EXPIRED: N_("%(test)s: the latest result was collected too long ago."),
    ScreeningState.POSITIVE: N_("%(test)s: the latest result is positive."),
    ScreeningState.INDETERMINATE: N_("%(test)s: the latest result is indeterminate."),
    ScreeningState.PENDING: N_("%(test)s: a newer result is still preliminary (pending)."),
    NEEDS_TWO_NEGATIVES: N_(
        "After a positive nucleic acid test, two negative results collected at least 24 hours "
        "apart are needed, both after the positive one."
    ),
    NOT_INPATIENT: N_("This person is not registered as an inpatient."),
    UNKNOWN_PATIENT: N_("The screening service does not know this patient."),
    SCREENING_UNAVAILABLE: N_(
        "The screening service could not be asked. Nobody is discharged without evidence: "
        "try again in a moment."
    ),
    "already_discharged": N_("This admission already ended with a discharge."),
    "pooled_only": N_(
        "The newest negative nucleic acid result is from a pooled test only; an individual "
        "test is needed."
    ),
}
# A check with one of these reasons offers no exception either: there is no admission to end.
NO_EXCEPTION_FOR = frozenset({"already_discharged", UNKNOWN_PATIENT, NOT_INPATIENT})
REASONS_WITHOUT_TEST: dict[str, str] = {
    ScreeningState.MISSING: N_("A required result is missing."),
    ScreeningState.EXPIRED: N_("A required result was collected too long ago."),
    ScreeningState.POSITIVE: N_("A required result is positive."),
    ScreeningState.INDETERMINATE: N_("A required result is indeterminate."),
    ScreeningState.PENDING: N_("A required result is still preliminary (pending)."),
}
EVIDENCE_ROLES = {
    COUNTING: N_("Counting result"),
    PENDING_RESULT: N_("Newer preliminary result"),
    LAST_POSITIVE: N_("Last positive result"),
    NEGATIVE_AFTER_POSITIVE: N_("Negative after the positive"),
    POOLED_NOT_COUNTED: N_("Pooled result (not counted for discharge)"),
}
DISPOSITIONS = {
    Disposition.HOME: N_("Home (discharged home)"),
    Disposition.TRANSFER: N_("Transfer to another hospital"),
    Disposition.DESIGNATED_HOSPITAL: N_("Designated hospital (exception)"),
    Disposition.DEATH: N_("Death (exception)"),
}
OUTCOMES = {
    Outcome.DISCHARGED: N_("Discharged"),
    Outcome.BLOCKED: N_("Blocked"),
    Outcome.EXCEPTION: N_("Exception"),
}
REFUSALS = {
    "forbidden": N_("Only infection control may record this kind of discharge."),
    "validation_error": N_("Please correct the marked fields."),
    "database_busy": N_("The database is busy. Please try again in a moment."),
    "idempotency_key_reused": N_(
        "This form was already sent with other values. Check the patient again to record "
        "another attempt."
    ),
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
