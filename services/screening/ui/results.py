"""Recording a result: choose the test type, then the form that fits it."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from services.screening.domain.catalogue import TESTS, ScreeningTest
from services.screening.persons.schemas import PersonPublic
from services.screening.persons.service import read_person
from services.screening.results.schemas import IN_THE_FUTURE, TOO_OLD, ResultCreate
from services.screening.results.service import record_result
from services.screening.ui.common import WardStaff, no_such_person, refusal
from services.screening.web import utc_now
from shared.audit import Audit
from shared.audit.trail import AsyncAuditTrail
from shared.db import DbSession
from shared.errors import Problem
from shared.fields import is_identifier
from shared.vocabulary import ResultStatus, TestType
from shared.web.ui import N_, Ui, csrf_protected
from shared.web.ui.forms import (
    PostedForm,
    attempt,
    attempt_on_loop,
    browser_time,
    build,
    caller,
    field_errors,
    local_datetime,
)
from shared.web.ui.vocabulary import words

router = APIRouter()

# Blood-routine values a ward records, with the unit they are reported in.
BLOOD_VALUES = (
    ("wbc", N_("White blood cells"), "10^9/L"),
    ("lymphocytes", N_("Lymphocytes"), "10^9/L"),
    ("neutrophils", N_("Neutrophils"), "10^9/L"),
    ("hemoglobin", N_("Haemoglobin"), "g/L"),
    ("platelets", N_("Platelets"), "10^9/L"),
)
KNOWN_RULES = {
    IN_THE_FUTURE: ("specimen_collected_at", N_("This time is in the future.")),
    TOO_OLD: ("specimen_collected_at", N_("This time is too far in the past.")),
    "result_required": ("result", N_("A final or corrected result needs a result.")),
    "result_not_of_test": ("result", N_("Choose one of the options.")),
}
FORM_FIELDS = ("result", "status", "specimen_collected_at", "external_id", "performer", "note")


def _test(test_type: str | None) -> ScreeningTest | None:
    """The test of a code from a form, or None for no (or an unknown) test type."""
    return TESTS[TestType(test_type)] if test_type in TESTS else None


def _person(ui: Ui, external_id: str) -> PersonPublic | None:
    if not is_identifier(external_id):
        return None
    db, trail = ui.request.app.state.db, AsyncAuditTrail(ui.request)
    found = attempt_on_loop(ui, lambda: read_person(db, trail, caller(ui), external_id))
    return None if isinstance(found, Problem) else found


def _render(
    ui: Ui,
    person: PersonPublic,
    test_type: str | None,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    test = _test(test_type)
    return ui.render(
        "screening/result_form.html",
        status=status,
        person=person,
        test=test,
        test_types=list(TESTS),
        statuses=tuple(ResultStatus),
        blood_values=BLOOD_VALUES if test and test.has_values else (),
        values=values,
        errors=errors,
        **words(),
    )


@router.get("/persons/{external_id}/results/new", summary="Record a result (form)")
def new_result(
    ui: WardStaff, session: DbSession, audit: Audit, external_id: str, test_type: str = ""
) -> Response:
    """Step one: the test type; step two (with `test_type`): the form for that test."""
    person = _person(ui, external_id)
    if person is None:
        return no_such_person(ui)
    now = datetime.now(UTC)
    values = {
        "status": "final",
        "specimen_collected_at": browser_time(now, ui.settings.timezone),
        "external_id": "",
    }
    errors = {}
    if test_type and test_type not in TESTS:
        errors["test_type"] = ui.gettext("Choose one of the options.")
    chosen = test_type if test_type in TESTS else None
    return _render(ui, person, chosen, values, errors, status=422 if errors else 200)


def _measurements(
    ui: Ui, form: dict[str, Any], errors: dict[str, str]
) -> dict[str, dict[str, Any]] | None:
    values: dict[str, dict[str, Any]] = {}
    for key, _label, unit in BLOOD_VALUES:
        text = str(form.get(f"value_{key}", "")).strip()
        if not text:
            continue
        try:
            number = float(text)
        except ValueError:
            number = float("nan")
        if number != number or number in (float("inf"), float("-inf")) or len(text) > 20:
            errors[f"value_{key}"] = ui.gettext("Enter a number.")
            continue
        values[key] = {"value": number, "unit": unit}
    return values or None


def _result_body(
    ui: Ui, person_id: str, test_type: str, form: dict[str, Any]
) -> tuple[ResultCreate | None, dict[str, str]]:
    errors: dict[str, str] = {}
    collected = local_datetime(str(form.get("specimen_collected_at", "")), ui.settings.timezone)
    if collected is None:
        errors["specimen_collected_at"] = ui.gettext("Enter a date and time.")
    number = str(form.get("external_id", "")).strip()
    data: dict[str, Any] = {
        "external_id": number or f"UI-{secrets.token_hex(8).upper()}",
        "person_external_id": person_id,
        "test_type": test_type,
        "result": str(form.get("result", "")) or None,
        "status": str(form.get("status", "")),
        "specimen_collected_at": collected,
        "performer": str(form.get("performer", "")).strip() or None,
        "note": str(form.get("note", "")).strip() or None,
    }
    if TESTS[TestType(test_type)].has_values:
        data["values"] = _measurements(ui, form, errors)
    body, problems = build(ResultCreate, data)
    errors = {**field_errors(ui, problems, KNOWN_RULES), **errors}
    return (body if not errors else None), errors


@router.post(
    "/persons/{external_id}/results",
    summary="Record a result",
    dependencies=[Depends(csrf_protected)],
)
def save_result(
    ui: WardStaff, session: DbSession, audit: Audit, external_id: str, form: PostedForm
) -> Response:
    """POST /results from the form; back to the status page on success."""
    person = _person(ui, external_id)
    if person is None:
        return no_such_person(ui)
    test_type = form.get("test_type", "")
    if test_type not in TESTS:
        return _render(
            ui, person, None, {}, {"test_type": ui.gettext("Choose one of the options.")}, 422
        )
    shown = {k: form.get(k, "")[:300] for k in FORM_FIELDS}
    shown.update({f"value_{k}": form.get(f"value_{k}", "")[:30] for k, _l, _u in BLOOD_VALUES})
    body, errors = _result_body(ui, external_id, test_type, form)
    if body is None:
        return _render(ui, person, test_type, shown, errors, 422)
    principal = caller(ui)
    stored = attempt(
        ui, session, lambda: record_result(session, body, principal.sub, audit, utc_now())
    )
    if isinstance(stored, Problem):
        errors = field_errors(ui, stored.errors or [], KNOWN_RULES)
        errors.setdefault("", refusal(ui, stored))
        return _render(ui, person, test_type, shown, errors, stored.status)
    url = ui.url("/persons/" + quote(external_id, safe="")) + "?saved=result"
    return ui.redirect(url)
