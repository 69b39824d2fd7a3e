"""The exposure list of a person: who may have been exposed, why and since when; CSV too."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from services.screening.clients.appointments import AppointmentsUnavailable
from services.screening.domain.exposure import ExposureReason, ExposureState
from services.screening.exposures.download import exposures_csv
from services.screening.exposures.service import (
    LONGEST_WINDOW,
    ExposureList,
    TracingSources,
    read_exposures,
)
from services.screening.follow_ups.from_exposures import open_from_exposures
from services.screening.follow_ups.service import Clock
from services.screening.persons.service import sees_identity
from services.screening.ui.common import Tracer, no_such_person, refusal
from services.screening.web import utc_now
from shared.audit import Audit
from shared.auth.roles import INFECTION_CONTROL
from shared.db import DbSession
from shared.errors import Problem
from shared.fields import is_identifier
from shared.masking import mask_phone
from shared.web.ui import N_, Ui, csrf_protected, signed_in_as
from shared.web.ui.forms import attempt, caller, day_bounds, local_day
from shared.web.ui.vocabulary import CATEGORIES, SCREENING_STATES, TEST_TYPES, words

router = APIRouter()
FollowUpOpener = Annotated[Ui, Depends(signed_in_as(INFECTION_CONTROL))]
REASONS = {
    ExposureReason.SAME_DEPARTMENT_VISIT: N_("Same department visit (within 2 hours)"),
    ExposureReason.SAME_WARD: N_("Same ward"),
    ExposureReason.CAREGIVER: N_("Caregiver of this person"),
    ExposureReason.ESCORTED_PATIENT: N_("Patient this person escorts"),
}
EXPOSURE_STATES = {
    ExposureState.COMPLIANT: (N_("Screening up to date"), "good"),
    ExposureState.NONCOMPLIANT: (N_("Not compliant"), "warn"),
    ExposureState.UNREGISTERED: (N_("Not registered for screening"), "info"),
}
# What a contact's own check-in decided: a contact sent to the fever clinic is no all-clear.
VISIT_OUTCOMES = {
    "admitted": (N_("Let in at the entrance"), "info"),
    "redirected_fever_clinic": (N_("Sent to the fever clinic at this visit"), "bad"),
    "refused": (N_("Refused entry at this visit"), "warn"),
}
UNAVAILABLE = N_(
    "The appointments service did not answer, so the list would be incomplete and is not "
    "shown. Please try again in a moment."
)


def _filters(
    ui: Ui, first: str, last: str, reason: str, status: str
) -> tuple[dict[str, str], dict[str, str], tuple[Any, Any]]:
    form = {"first": first[:10], "last": last[:10], "reason": reason[:32], "status": status[:16]}
    errors = {}
    first_day, last_day = local_day(first) if first else None, local_day(last) if last else None
    if first and first_day is None:
        errors["first"] = ui.gettext("Enter a date.")
    if last and last_day is None:
        errors["last"] = ui.gettext("Enter a date.")
    if reason and reason not in REASONS:
        errors["reason"] = ui.gettext("Choose one of the options.")
    if status and status not in EXPOSURE_STATES:
        errors["status"] = ui.gettext("Choose one of the options.")
    if first_day and last_day and first_day > last_day:
        errors["last"] = ui.gettext("The last day must not be before the first day.")
    elif first_day and last_day and last_day - first_day >= LONGEST_WINDOW:
        errors["last"] = ui.gettext("The window may span at most 366 days.")
    return form, errors, day_bounds(first_day, last_day, ui.settings.timezone)


def _window_problem(ui: Ui, problem: Problem) -> dict[str, str]:
    """A window the service refused, marked on the date fields in the reader's language."""
    if problem.status == 422:  # from not before to (the default start is after the end)
        return {"first": ui.gettext("The window must start before it ends.")}
    return {"": refusal(ui, problem)}


def csv_words(ui: Ui) -> dict[str, str]:
    """Every code the CSV writes, in the reader's language."""
    tables: list[dict[Any, Any]] = [CATEGORIES, TEST_TYPES, REASONS]
    found = {str(code): ui.gettext(word) for table in tables for code, word in table.items()}
    for table in (EXPOSURE_STATES, VISIT_OUTCOMES, SCREENING_STATES):
        found.update({str(code): ui.gettext(word) for code, (word, _tone) in table.items()})
    found["caregiver_of"] = ui.gettext(REASONS[ExposureReason.CAREGIVER])
    return found


def _shown(traced: ExposureList, form: dict[str, str], ui: Ui) -> ExposureList:
    """The items the filters keep, phones masked for those who may not see them in full."""
    full = sees_identity(caller(ui))
    items = [
        i if full else replace(i, phone=mask_phone(i.phone))
        for i in traced.items
        if (not form["reason"] or form["reason"] in i.why)
        and (not form["status"] or form["status"] == i.status)
    ]
    return replace(traced, items=items)


def _traced(
    ui: Ui, session: DbSession, audit: Audit, external_id: str, window: tuple[Any, Any], csv: bool
) -> ExposureList | Problem:
    try:
        return read_exposures(
            session,
            audit,
            caller(ui),
            external_id,
            window,
            TracingSources.of(ui.request.app.state),
            now=utc_now(),
            as_csv=csv,
        )
    except AppointmentsUnavailable as exc:
        exc.detail = ui.gettext(UNAVAILABLE)
        return exc  # the page answers 503; the attempt's audit row is kept
    except Problem as exc:
        session.rollback()
        return exc


@router.get("/persons/{external_id}/exposures", summary="Who may have been exposed")
def exposure_list(
    ui: Tracer,
    session: DbSession,
    audit: Audit,
    external_id: str,
    first: str = "",
    last: str = "",
    reason: str = "",
    status: str = "",
) -> Response:
    """The exposure list with its reasons, filters and a CSV link."""
    if not is_identifier(external_id):
        return no_such_person(ui)
    form, errors, window = _filters(ui, first, last, reason, status)
    context: dict[str, Any] = {
        "external_id": external_id,
        "form": form,
        "REASONS": REASONS,
        "EXPOSURE_STATES": EXPOSURE_STATES,
        "VISIT_OUTCOMES": VISIT_OUTCOMES,
        "phones_in_full": sees_identity(caller(ui)),
        "may_follow_up": caller(ui).has_any(frozenset({INFECTION_CONTROL})),
        "person_url": ui.url("/persons/" + quote(external_id, safe="")),
        "status_choices": [(c, ui.gettext(w)) for c, (w, _tone) in EXPOSURE_STATES.items()],
        **words(),
    }
    if errors:
        return ui.render("screening/exposures.html", status=422, errors=errors, **context)
    traced = _traced(ui, session, audit, external_id, window, csv=False)
    if isinstance(traced, Problem):
        if traced.code == "unknown_person":
            return no_such_person(ui)
        return ui.render(
            "screening/exposures.html",
            status=traced.status,
            errors=_window_problem(ui, traced),
            **context,
        )
    query = urlencode({k: v for k, v in form.items() if v})
    csv_url = ui.url("/persons/" + quote(external_id, safe="") + "/exposures.csv")
    return ui.render(
        "screening/exposures.html",
        errors={},
        traced=traced,
        shown=_shown(traced, form, ui).items,
        csv_url=csv_url + ("?" + query if query else ""),
        **context,
    )


@router.get("/persons/{external_id}/exposures.csv", summary="The exposure list as CSV")
def exposure_list_csv(
    ui: Tracer,
    session: DbSession,
    audit: Audit,
    external_id: str,
    first: str = "",
    last: str = "",
    reason: str = "",
    status: str = "",
) -> Response:
    """The list as the page shows it (same filters), as a CSV download."""
    if not is_identifier(external_id):
        return no_such_person(ui)
    form, errors, window = _filters(ui, first, last, reason, status)
    if errors:
        return ui.error(Problem(next(iter(errors.values())), status=422, code="validation_error"))
    traced = _traced(ui, session, audit, external_id, window, csv=True)
    if isinstance(traced, Problem):
        return ui.error(traced)
    return exposures_csv(_shown(traced, form, ui), ui.settings.timezone, csv_words(ui))


@router.post(
    "/persons/{external_id}/exposures/follow-ups",
    summary="Open follow-ups for the chosen contacts",
    dependencies=[Depends(csrf_protected)],
)
def open_follow_ups(
    ui: FollowUpOpener,
    session: DbSession,
    audit: Audit,
    external_id: str,
    external_ids: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    """A 14-day follow-up for each chosen contact; then the follow-up team's page."""
    chosen = [c for c in external_ids[:500] if is_identifier(c)]
    if not is_identifier(external_id):
        return no_such_person(ui)
    if not chosen:
        detail = ui.gettext("Choose at least one contact to follow up.")
        return ui.error(Problem(detail, status=422, code="validation_error"))
    clock = Clock(utc_now(), ui.settings.timezone)
    sources = TracingSources.of(ui.request.app.state)
    opened = attempt(
        ui,
        session,
        lambda: open_from_exposures(
            session, audit, caller(ui), external_id, chosen, sources, clock
        ),
    )
    if isinstance(opened, Problem):
        if isinstance(opened, AppointmentsUnavailable):
            opened.detail = ui.gettext(UNAVAILABLE)
            return ui.error(opened)
        return ui.error(Problem(refusal(ui, opened), status=opened.status, code=opened.code))
    return ui.redirect(ui.url("/follow-ups") + "?" + urlencode({"opened": str(len(opened))}))
