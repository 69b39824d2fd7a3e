"""Who is isolated now, staff first; isolate and release (the two-negatives rule shown)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from services.screening.domain.isolation import IsolationState, ReleaseRefusal
from services.screening.isolation.schemas import IsolateBody, ReleaseBody
from services.screening.isolation.service import (
    isolate_by_hand,
    list_isolations,
    release,
    release_refusals_of,
)
from services.screening.ui.common import PersonReader, refusal
from services.screening.web import utc_now
from shared.audit import Audit
from shared.auth.roles import DOCTOR, INFECTION_CONTROL
from shared.db import DbSession
from shared.errors import Problem
from shared.fields import is_identifier
from shared.masking import mask_name
from shared.vocabulary import Category
from shared.web.ui import N_, Ui, csrf_protected, signed_in_as
from shared.web.ui.forms import attempt, build, caller, field_errors
from shared.web.ui.vocabulary import words

router = APIRouter()
PAGE = "/isolations"
Isolator = Annotated[Ui, Depends(signed_in_as(INFECTION_CONTROL, DOCTOR))]
Releaser = Annotated[Ui, Depends(signed_in_as(INFECTION_CONTROL))]
RELEASE_WORDS = {
    ReleaseRefusal.NOT_ISOLATED: N_("Not isolated."),
    ReleaseRefusal.NEGATIVES_MISSING: N_(
        "Needs two individual negative nucleic acid results after the last positive."
    ),
    ReleaseRefusal.NEGATIVES_TOO_CLOSE: N_(
        "The two negative nucleic acid results were collected less than 24 hours apart."
    ),
}
REASON_WORDS = {"positive_result": N_("Positive nucleic acid result")}


def _page(
    ui: Ui, session: DbSession, audit: Audit, errors: dict[str, str], status: int = 200, **more: Any
) -> Response:
    rows = list_isolations(
        session, audit, state=IsolationState.ISOLATED, category=None, department=None
    )
    principal = caller(ui)
    return ui.render(
        "screening/isolations.html",
        status=status,
        rows=[replace(r, name=mask_name(r.name) or "") for r in rows],
        refusals={r.external_id: release_refusals_of(session, r.external_id) for r in rows},
        RELEASE_WORDS=RELEASE_WORDS,
        REASON_WORDS=REASON_WORDS,
        STAFF=Category.STAFF,
        may_isolate=principal.has_any(frozenset({INFECTION_CONTROL, DOCTOR})),
        may_release=principal.has_any(frozenset({INFECTION_CONTROL})),
        errors=errors,
        values=more.pop("values", {}),
        done=more.pop("done", ""),
        **words(),
        **more,
    )


@router.get(PAGE, summary="Who is isolated now")
def isolations(ui: PersonReader, session: DbSession, audit: Audit, done: str = "") -> Response:
    """Staff first (off duty until released), then the earliest isolated."""
    return _page(ui, session, audit, {}, done=done[:80])


@router.post(PAGE, summary="Isolate a person", dependencies=[Depends(csrf_protected)])
def isolate_form(
    ui: Isolator,
    session: DbSession,
    audit: Audit,
    external_id: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Isolate by hand; then the list again."""
    values = {"external_id": external_id.strip()[:64], "reason": reason.strip()[:200]}
    body, problems = build(IsolateBody, {"reason": values["reason"]})
    errors = field_errors(ui, problems)
    if not is_identifier(values["external_id"]):
        errors["external_id"] = ui.gettext("Please fill this in.")
    if body is None or errors:
        return _page(ui, session, audit, errors, 422, values=values)
    person, now = values["external_id"], utc_now()
    done = attempt(
        ui, session, lambda: isolate_by_hand(session, audit, caller(ui), person, body.reason, now)
    )
    if isinstance(done, Problem):
        return _page(ui, session, audit, {"": refusal(ui, done)}, done.status, values=values)
    return ui.redirect(ui.url(PAGE) + "?" + urlencode({"done": "isolated:" + person}))


@router.post(
    PAGE + "/{external_id}/release",
    summary="Release a person from isolation",
    dependencies=[Depends(csrf_protected)],
)
def release_form(
    ui: Releaser,
    session: DbSession,
    audit: Audit,
    external_id: str,
    note: Annotated[str, Form()] = "",
) -> Response:
    """Release under the two-negatives rule; a refusal shows the rule's reasons."""
    body, problems = build(ReleaseBody, {"note": note.strip() or None})
    if body is None or not is_identifier(external_id):
        return _page(ui, session, audit, field_errors(ui, problems), 422)
    now = utc_now()
    done = attempt(
        ui, session, lambda: release(session, audit, caller(ui), external_id, body.note, now)
    )
    if isinstance(done, Problem):
        shown = [
            ui.gettext(RELEASE_WORDS[ReleaseRefusal(r["code"])])
            for r in done.reasons or []
            if r.get("code") in RELEASE_WORDS
        ]
        message = " ".join(shown) or refusal(ui, done)
        return _page(ui, session, audit, {"": message}, done.status)
    return ui.redirect(ui.url(PAGE) + "?" + urlencode({"done": "released:" + external_id}))
