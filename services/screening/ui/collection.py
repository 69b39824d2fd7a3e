"""The collection desk: booking code, tube, pool; then the next person.

A keyboard-wedge scanner types the code and presses Enter: Enter in the first field moves to
the tube field (collection.js), Enter there saves. The pool tube stays filled in for the next
person until the pool holds WARDGATE_POOL_MAX swabs; then the page says it is full and asks
for a new pool tube. A booking code is resolved to its person by the appointments service
(which issued it), with the nurse's token, before anything is written.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from services.screening.clients.appointments import AppointmentsClient
from services.screening.pools.schemas import SpecimenCreate
from services.screening.pools.service import open_retests, pool_view, record_specimen
from services.screening.ui.common import WardStaff, refusal
from shared.audit import Audit
from shared.db import DbSession
from shared.errors import Problem
from shared.masking import mask_name
from shared.service_client import relay_headers
from shared.web.ui import N_, Ui, csrf_protected
from shared.web.ui.forms import attempt, build, caller, field_errors

router = APIRouter()
PAGE = "/collection"
BOOKING_CODE = re.compile(r"^[A-Z0-9]{8}$")
DESK_REFUSALS = {
    "unknown_person": N_("No booking or person with this code. Check it and scan again."),
    "specimen_conflict": N_("This tube is already recorded for someone else. Use a new tube."),
    "pool_too_large": N_("This pool is full. Take a new pool tube."),
    "pool_closed": N_("This pool already has a result. Take a new pool tube."),
    "appointments_unavailable": N_(
        "Booking codes cannot be checked at the moment. Type the person's id instead."
    ),
}


def _pool_max(ui: Ui) -> int:
    return int(ui.request.app.state.settings.wardgate_pool_max)


def _refusal(ui: Ui, problem: Problem) -> str:
    msgid = DESK_REFUSALS.get(problem.code)
    return ui.gettext(msgid) if msgid else refusal(ui, problem)


def _pool_fill(session: Any, pool_id: str, most: int) -> dict[str, Any] | None:
    if not pool_id:
        return None
    view = pool_view(session, pool_id)
    size = view.size if view else 0
    closed = view is not None and view.result_external_id is not None
    return {"pool_id": pool_id, "size": size, "most": most, "full": size >= most or closed}


def _desk_page(
    ui: Ui, session: Any, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    most = _pool_max(ui)
    fill = _pool_fill(session, values.get("pool_id", ""), most)
    if fill and fill["full"]:
        values = {**values, "pool_id": ""}  # a full pool takes no more: a new tube next
    retests = open_retests(session, None, size=50).items
    return ui.render(
        "screening/collection.html",
        status=422 if errors and status == 200 else status,
        values=values,
        errors=errors,
        fill=fill,
        retests=[r.model_dump(mode="json") for r in retests],
        label_url=ui.prefix
        + "/specimens/"
        + quote(values.get("saved", ""), safe="")
        + "/label.pdf",
    )


@router.get(PAGE, summary="The collection desk (booking code, tube, pool)")
def desk(
    ui: WardStaff,
    session: DbSession,
    pool: str = "",
    saved: str = "",
    who: str = "",
) -> Response:
    """The desk form (the pool tube kept from the last save), the pool's fill, open retests."""
    values = {"pool_id": pool[:64], "saved": saved[:64], "who": who[:200]}
    return _desk_page(ui, session, values, {})


def _resolve(ui: Ui, scanned: str) -> tuple[str, str | None, str | None] | Problem:
    """(person external id, booking code or None, masked name) of what was scanned."""
    code = scanned.upper()
    if BOOKING_CODE.match(code):
        appointments: AppointmentsClient = ui.request.app.state.appointments
        headers = relay_headers(caller(ui), appointments.service_token)
        try:
            booked = appointments.booked_test(code, headers)
        except Problem as problem:
            return problem
        if booked is not None:
            return booked.person_external_id, booked.booking_code, mask_name(booked.name)
    return scanned, None, None


@router.post(PAGE, summary="Record a specimen at the desk", dependencies=[Depends(csrf_protected)])
def save_specimen(
    ui: WardStaff,
    session: DbSession,
    audit: Audit,
    scanned: Annotated[str, Form()] = "",
    specimen_id: Annotated[str, Form()] = "",
    pool_id: Annotated[str, Form()] = "",
) -> Response:
    """POST /specimens for the scanned person and tube; then the form for the next person."""
    values = {
        "scanned": scanned.strip()[:64],
        "specimen_id": specimen_id.strip()[:64],
        "pool_id": pool_id.strip()[:64],
    }
    if not values["scanned"]:
        return _desk_page(ui, session, values, {"scanned": ui.gettext("Please fill this in.")})
    resolved = _resolve(ui, values["scanned"])  # asks appointments before any write
    if isinstance(resolved, Problem):
        return _desk_page(ui, session, values, {"": _refusal(ui, resolved)}, resolved.status)
    person, booking_code, name = resolved
    data = {
        "specimen_id": values["specimen_id"],
        "person_external_id": person,
        "collected_at": datetime.now(UTC).isoformat(),
        "pool_id": values["pool_id"] or None,
        "booking_code": booking_code,
    }
    body, problems = build(SpecimenCreate, data)
    if body is None:
        errors = field_errors(ui, problems)
        if "person_external_id" in errors:
            errors["scanned"] = errors.pop("person_external_id")
        return _desk_page(ui, session, values, errors)
    sub, most = caller(ui).sub, _pool_max(ui)
    now = datetime.now(UTC)
    stored = attempt(
        ui, session, lambda: record_specimen(session, body, sub, audit, now, pool_max=most)
    )
    if isinstance(stored, Problem):
        return _desk_page(ui, session, values, {"": _refusal(ui, stored)}, stored.status)
    query = {"pool": values["pool_id"], "saved": body.specimen_id, "who": name or person}
    return ui.redirect(ui.url(PAGE) + "?" + urlencode(query))
