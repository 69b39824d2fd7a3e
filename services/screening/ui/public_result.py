"""The resident's result lookup (no sign-in).

Public: the form is protected as the sign-in form is (a CSRF token signed with the UI
secret, bound to a nonce cookie of this service), and every GET and POST counts against the
public rate limit. The lookup is the API's use case: the same 404 for an unknown code and
wrong digits, every lookup audited.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from services.screening.public_testing.schemas import LookupIn
from services.screening.public_testing.service import look_up_result
from shared.audit import Audit
from shared.db import DbSession
from shared.errors import Problem
from shared.web.ui import N_, Ui, UiContext
from shared.web.ui.forms import attempt, build, field_errors
from shared.web.ui.public_form import public_form_protected, rate_limited_page

router = APIRouter()
PAGE = "/public/result"
STATES = {
    "not_collected": (N_("Not collected yet"), "info"),
    "pending": (N_("Being tested"), "warn"),
    "negative": (N_("Negative"), "good"),
    "positive": (N_("Positive"), "bad"),
    "indeterminate": (N_("Not clear: please test again"), "warn"),
}
EXPLAINED = {
    "not_collected": N_("No swab has been taken with this booking code yet."),
    "pending": N_("Your swab was taken and is being tested. Look again later."),
    "negative": N_("No virus was found in your swab."),
    "positive": N_(
        "The virus was found in your swab. Stay where you are, keep away from others and wait "
        "for the hospital or the health authority to contact you."
    ),
    "indeterminate": N_("The test gave no clear answer. Please book another test."),
}


def _page(
    ui: Ui,
    values: dict[str, str],
    errors: dict[str, str],
    answer: dict[str, object] | None = None,
    status: int = 200,
) -> Response:
    return ui.render(
        "screening/public_result.html",
        status=422 if errors and status == 200 else status,
        values=values,
        errors=errors,
        answer=answer,
        STATES=STATES,
        EXPLAINED=EXPLAINED,
    )


@router.get(PAGE, summary="Look up a test result (residents, no sign-in)")
def result_form(ui: UiContext) -> Response:
    """The booking code and the last four characters of the ID number."""
    limited = rate_limited_page(ui)
    return limited or _page(ui, {}, {})


@router.post(PAGE, summary="Look up a test result", dependencies=[Depends(public_form_protected)])
def result_lookup(
    ui: UiContext,
    session: DbSession,
    audit: Audit,
    booking_code: Annotated[str, Form()] = "",
    id_number_last4: Annotated[str, Form()] = "",
) -> Response:
    """The state of the test, or the same "not found" for a wrong code and wrong digits."""
    limited = rate_limited_page(ui)
    if limited is not None:
        return limited
    values = {
        "booking_code": booking_code.strip().upper()[:8],
        "id_number_last4": id_number_last4.strip()[:4],
    }
    body, problems = build(LookupIn, values)
    if body is None:
        return _page(ui, values, field_errors(ui, problems))
    appointments = ui.request.app.state.appointments
    settings = ui.request.app.state.settings
    found = attempt(
        ui, session, lambda: look_up_result(session, audit, appointments, body, settings)
    )
    if isinstance(found, Problem):
        message = ui.gettext(
            "The result cannot be looked up at the moment. Try again in a few minutes."
        )
        return _page(ui, values, {"": message}, status=found.status)
    if found is None:
        message = ui.gettext(
            "No test was found for this booking code and these digits. Check both and try again."
        )
        return _page(ui, values, {"": message}, status=404)
    return _page(ui, values, {}, found.model_dump(mode="json"))
