"""The follow-up team's page: who is due today, who missed days; today's check in two taps
(the temperature, then "Record"; symptoms are ticked only when there are any)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from services.screening.domain.follow_up import FollowUpState, Symptom
from services.screening.follow_ups.download import follow_ups_csv
from services.screening.follow_ups.service import (
    Clock,
    DailyCheck,
    FollowUp,
    list_follow_ups,
    record_check,
)
from services.screening.persons.service import sees_identity
from services.screening.ui.common import PersonReader, WardStaff, refusal
from services.screening.web import utc_now
from shared.audit import Audit
from shared.db import DbSession
from shared.errors import Problem
from shared.masking import mask_name, mask_phone
from shared.pagination import MAX_LIMIT
from shared.web.ui import N_, Ui, csrf_protected
from shared.web.ui.forms import attempt, caller

router = APIRouter()
PAGE = "/follow-ups"
SYMPTOMS = {
    Symptom.FEVER: N_("Fever"),
    Symptom.COUGH: N_("Cough"),
    Symptom.SORE_THROAT: N_("Sore throat"),
    Symptom.FATIGUE: N_("Fatigue"),
    Symptom.LOSS_OF_SMELL: N_("Loss of smell or taste"),
    Symptom.DIARRHEA: N_("Diarrhoea"),
    Symptom.OTHER: N_("Other"),
}
STATES = {
    FollowUpState.ACTIVE: (N_("Following up"), "info"),
    FollowUpState.COMPLETED: (N_("Completed"), "good"),
    FollowUpState.CONVERTED: (N_("Isolated (converted)"), "bad"),
    FollowUpState.CANCELLED: (N_("Cancelled"), "warn"),
}
CHECK_REFUSALS = {
    "check_exists": N_("Today's check is already recorded for this person."),
    "follow_up_closed": N_("This follow-up is closed."),
    "date_outside_follow_up": N_("Today is not a day of this follow-up."),
    "unknown_follow_up": N_("There is no such follow-up."),
}
FEVER_FROM_C = 37.3  # the page marks a temperature from here as fever


def _clock(ui: Ui) -> Clock:
    return Clock(utc_now(), ui.settings.timezone)


def _all(session: Any, audit: Audit, clock: Clock, **which: Any) -> list[FollowUp]:
    found: list[FollowUp] = []
    cursor = None
    while True:  # every page (the team's list is seldom longer than one)
        page = list_follow_ups(session, audit, size=MAX_LIMIT, cursor=cursor, clock=clock, **which)
        found += page.items
        cursor = page.next_cursor
        if cursor is None:
            return found


def _shown(ui: Ui, found: list[FollowUp]) -> list[dict[str, Any]]:
    """What the page shows of each follow-up: names and phones in full for ward staff."""
    full = sees_identity(caller(ui))
    return [
        {
            "f": f,
            "name": (f.row.name if full else mask_name(f.row.name)) or f.row.person_external_id,
            "phone": f.row.phone if full else mask_phone(f.row.phone),
            "day": None,
        }
        for f in found
    ]


def _page(
    ui: Ui, session: Any, audit: Audit, errors: dict[str, str], status: int = 200, **more: Any
) -> Response:
    clock = _clock(ui)
    active = _all(session, audit, clock, state=FollowUpState.ACTIVE, due_today=False)
    due = [a for a in active if a.due_today]
    missed = [a for a in active if a.missed_days > 0]
    return ui.render(
        "screening/follow_ups.html",
        status=status,
        errors=errors,
        today=clock.today,
        due=_shown(ui, due),
        missed=_shown(ui, missed),
        active=_shown(ui, active),
        SYMPTOMS=SYMPTOMS,
        STATES=STATES,
        FEVER_FROM_C=FEVER_FROM_C,
        may_check=sees_identity(caller(ui)),
        csv_url=ui.url(PAGE + ".csv"),
        **more,
    )


@router.get(PAGE, summary="Contact follow-up: due today, missed days")
def follow_ups_page(
    ui: PersonReader, session: DbSession, audit: Audit, saved: str = "", opened: str = ""
) -> Response:
    """Due today first (one card each, today's check in two taps), then missed days."""
    return _page(ui, session, audit, {}, saved=saved[:200], opened=opened[:8])


def _temperature(value: str) -> float | None:
    try:
        number = float(value.replace(",", ".").strip())
    except ValueError:
        return None
    return number if 30 <= number <= 45 else None


@router.post(
    PAGE + "/{follow_up_id}/checks",
    summary="Record today's check",
    dependencies=[Depends(csrf_protected)],
)
def check_form(
    ui: WardStaff,
    session: DbSession,
    audit: Audit,
    follow_up_id: int,
    temperature_c: Annotated[str, Form()] = "",
    symptoms: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    """Today's check for one person; then the list again, that person gone from "due"."""
    temperature = _temperature(temperature_c[:10])
    picked = [Symptom(s) for s in symptoms if s in SYMPTOMS]
    if temperature is None or len(picked) != len(symptoms) or not 1 <= follow_up_id < 2**63:
        errors = {
            f"temperature-{follow_up_id}": ui.gettext("Enter a temperature from 30 to 45 °C.")
        }
        return _page(ui, session, audit, errors, 422)
    clock = _clock(ui)
    check = DailyCheck(clock.today, temperature, picked, None)
    done = attempt(
        ui, session, lambda: record_check(session, audit, caller(ui), follow_up_id, check, clock)
    )
    if isinstance(done, Problem):
        msgid = CHECK_REFUSALS.get(done.code)
        message = ui.gettext(msgid) if msgid else refusal(ui, done)
        return _page(ui, session, audit, {"": message}, done.status)
    who = done.row.name or done.row.person_external_id
    if not sees_identity(caller(ui)):
        who = mask_name(who) or who
    return ui.redirect(ui.url(PAGE) + "?" + urlencode({"saved": who}))


@router.get(PAGE + ".csv", summary="Every follow-up as CSV")
def follow_ups_download(ui: PersonReader, session: DbSession, audit: Audit) -> Response:
    """Every follow-up, every state (the team's spreadsheet)."""
    found = _all(session, audit, _clock(ui), state=None, due_today=False)
    return follow_ups_csv(found, ui.settings.timezone, in_full=sees_identity(caller(ui)))
