"""The exposure list as a CSV download (the API's `Accept: text/csv` and the page's link).

Written with `shared.web.csv_export` (a BOM for Excel, hospital local time with offset, no
formulas). Every code column is followed by its words: the page passes them in the reader's
language, the API in English.
"""

from __future__ import annotations

from collections.abc import Mapping
from zoneinfo import ZoneInfo

from starlette.responses import Response

from services.screening.exposures.service import ExposureList, TracedPerson
from shared.masking import mask_phone
from shared.web.csv_export import CSV_MEDIA_TYPE, attachment, csv_text

CSV_COLUMNS = (
    "external_id",
    "name",
    "phone",
    "category",
    "category_text",
    "why",
    "why_text",
    "when",
    "status",
    "status_text",
    "visit_outcome",
    "visit_outcome_text",
    "lacking",
    "lacking_text",
)
# The codes in English words (the API's CSV); the page passes its own, translated.
ENGLISH = {
    "staff": "Staff",
    "inpatient": "Inpatient",
    "outpatient": "Outpatient",
    "caregiver": "Caregiver",
    "same_department_visit": "Same department visit (within 2 hours)",
    "same_ward": "Same ward",
    "caregiver_of": "Caregiver of this person",
    "escorted_patient": "Patient this person escorts",
    "compliant": "Screening up to date",
    "noncompliant": "Not compliant",
    "unregistered": "Not registered for screening",
    "admitted": "Let in at the entrance",
    "redirected_fever_clinic": "Sent to the fever clinic at this visit",
    "refused": "Refused entry at this visit",
    "nucleic_acid": "Nucleic acid test",
    "antibody_igm": "IgM antibody",
    "antibody_igg": "IgG antibody",
    "chest_ct": "Chest CT",
    "blood_routine": "Blood routine",
    "missing": "Missing",
    "expired": "Expired",
    "positive": "Positive",
    "indeterminate": "Indeterminate",
    "pending": "Pending: preliminary result",
    "abnormal": "Abnormal",
}


def _words(codes: list[str], words: Mapping[str, str]) -> str:
    return "; ".join(words.get(c, c) for c in codes)


def _row(item: TracedPerson, words: Mapping[str, str], full_phone: bool) -> list[object]:
    # "caregiver" is a category and a reason: the reason's words are under "caregiver_of".
    why = [("caregiver_of" if r == "caregiver" else r) for r in item.why]
    lacking = [(x.test_type, x.state) for x in item.lacking or ()]
    return [
        item.external_id,
        item.name,
        item.phone if full_phone else mask_phone(item.phone),
        item.category,
        _words([item.category], words) if item.category else "",
        ";".join(item.why),
        _words(why, words),
        item.when,
        item.status,
        _words([item.status], words),
        ";".join(item.visit_outcomes),
        _words(list(item.visit_outcomes), words),
        ";".join(f"{test}:{state}" for test, state in lacking),
        "; ".join(f"{words.get(test, test)}: {words.get(state, state)}" for test, state in lacking),
    ]


def exposures_csv(
    traced: ExposureList,
    timezone: ZoneInfo,
    words: Mapping[str, str] = ENGLISH,
    *,
    full_phone: bool = True,
) -> Response:
    """The list as a CSV download (one row per exposed person), codes with their words."""
    rows = [_row(item, words, full_phone) for item in traced.items]
    return Response(
        csv_text(CSV_COLUMNS, rows, timezone),
        media_type=CSV_MEDIA_TYPE,
        headers=attachment(f"exposures-{traced.index_external_id}.csv"),
    )
