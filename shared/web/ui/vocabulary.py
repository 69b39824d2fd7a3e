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


def words() -> dict[str, Any]:
    """The vocabularies as template context."""
    return {
        "TEST_TYPES": TEST_TYPES,
        "RESULTS": RESULTS,
        "RESULT_STATUSES": RESULT_STATUSES,
        "CATEGORIES": CATEGORIES,
        "SCREENING_STATES": SCREENING_STATES,
    }
