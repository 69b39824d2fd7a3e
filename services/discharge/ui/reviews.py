"""Discharge reviews for infection control: the discharges a later result put in doubt.

Each open review shows the patient, a link to the discharge record, the trigger in words and,
for infection control, a form to close it with a resolution and a note (post/redirect/get).
Auditors and admins read the same list without the form.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path
from fastapi.responses import Response

from services.discharge.reviews.schemas import ReviewClose
from services.discharge.reviews.service import close_review, list_reviews
from services.discharge.ui.records import names_of
from shared.audit import Audit
from shared.auth.roles import INFECTION_CONTROL, REPORT_READERS
from shared.db import DbSession
from shared.errors import Problem
from shared.vocabulary import ReviewChange, ReviewResolution, ReviewState
from shared.web.ui import N_, Ui, csrf_protected, signed_in_as
from shared.web.ui.forms import attempt, build, caller, field_errors

router = APIRouter()
ReviewReader = Annotated[Ui, Depends(signed_in_as(*REPORT_READERS))]
InfectionControl = Annotated[Ui, Depends(signed_in_as(INFECTION_CONTROL))]
ReviewId = Annotated[int, Path(ge=1, le=2**63 - 1)]
PAGE_ROWS = 100

TRIGGERS = {
    ReviewChange.CORRECTED: N_(
        "Result %(result)s, which this discharge relied on, was corrected after the discharge "
        "(version %(version)s)."
    ),
    ReviewChange.VOIDED: N_(
        "Result %(result)s, which this discharge relied on, was withdrawn as entered in error "
        "after the discharge (version %(version)s)."
    ),
    ReviewChange.LATE_POSITIVE: N_(
        "A positive nucleic acid result (%(result)s) arrived after the discharge; its "
        "specimen was collected in the 14 days before the discharge."
    ),
}
RESOLUTIONS = {
    ReviewResolution.NO_ACTION: N_("No action needed"),
    ReviewResolution.PATIENT_RECALLED: N_("Patient recalled"),
    ReviewResolution.PUBLIC_HEALTH_NOTIFIED: N_("Public health notified"),
}
STATES = {ReviewState.OPEN: N_("Open"), ReviewState.CLOSED: N_("Closed")}
CLOSE_REFUSALS = {
    "review_closed": N_("This review was already closed."),
    "unknown_review": N_("There is no such review."),
}


def _trigger_text(ui: Ui, review: dict[str, Any]) -> str:
    trigger = review["trigger"]
    message = TRIGGERS.get(trigger["change"])
    if message is None:
        return str(trigger["change"])
    return ui.gettext(message, result=trigger["result_external_id"], version=trigger["version"])


def _page(
    ui: Ui,
    session: DbSession,
    audit: Audit,
    state: str,
    cursor: str,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    shown = ReviewState(state) if state in {s.value for s in ReviewState} else ReviewState.OPEN
    page = attempt(
        ui, session, lambda: list_reviews(session, audit, shown, PAGE_ROWS, cursor[:512] or None)
    )
    if isinstance(page, Problem):
        page = list_reviews(session, audit, shown, PAGE_ROWS, None)  # a stale cursor: page 1
    rows = [item.model_dump(mode="json") for item in page.items]
    typed = dict(typed or {})
    if typed.get("review") not in {str(r["id"]) for r in rows}:
        typed.pop("review", None)  # its form is not on the page: the error goes on top
    next_url = None
    if page.next_cursor:
        next_url = "?" + urlencode({"state": shown.value, "cursor": page.next_cursor})
    return ui.render(
        "discharge/reviews.html",
        status=status,
        state=shown.value,
        rows=rows,
        names=names_of(ui, [r["patient_external_id"] for r in rows]),
        next_url=next_url,
        may_close=INFECTION_CONTROL in caller(ui).roles,
        trigger_text=lambda review: _trigger_text(ui, review),
        RESOLUTIONS=RESOLUTIONS,
        STATES=STATES,
        errors=errors or {},
        typed=typed,
        closed=ui.request.query_params.get("closed", "")[:20],
    )


@router.get("/reviews", summary="Discharge reviews (infection control)")
def reviews_page(
    ui: ReviewReader, session: DbSession, audit: Audit, state: str = "open", cursor: str = ""
) -> Response:
    """Open (or closed) reviews, newest first, with the close form for infection control."""
    return _page(ui, session, audit, state[:10], cursor)


@router.post(
    "/reviews/{review_id}/close",
    summary="Close a discharge review",
    dependencies=[Depends(csrf_protected)],
)
def close_page(
    ui: InfectionControl,
    session: DbSession,
    audit: Audit,
    review_id: ReviewId,
    resolution: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Close the review, then 303 back to the open reviews; the form again when refused."""
    typed = {"review": str(review_id), "resolution": resolution[:40], "note": note[:2000]}
    body, problems = build(ReviewClose, {"resolution": resolution, "note": note})
    if body is None:
        errors = field_errors(ui, problems)
        errors[""] = ui.gettext("Choose a resolution and write a note.")
        return _page(ui, session, audit, "open", "", errors, typed, status=422)
    principal, now = caller(ui), datetime.now(UTC)
    closed = attempt(
        ui, session, lambda: close_review(session, audit, principal, review_id, body, now)
    )
    if isinstance(closed, Problem):
        message = CLOSE_REFUSALS.get(closed.code or "")
        errors = {"": ui.gettext(message) if message else closed.detail}
        return _page(ui, session, audit, "open", "", errors, typed, status=closed.status)
    return ui.redirect(ui.url("/reviews") + "?" + urlencode({"closed": review_id}))
