"""HTTP in and out: contact follow-up: daily checks of the exposed for 14 days."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request, Response

from services.screening.domain.follow_up import FollowUpState
from services.screening.exposures.service import TracingSources
from services.screening.follow_ups import service
from services.screening.follow_ups.from_exposures import open_from_exposures
from services.screening.follow_ups.schemas import (
    CancelBody,
    CheckCreate,
    ExposureFollowUps,
    FollowUpCreate,
    FollowUpListPublic,
    FollowUpPublic,
)
from services.screening.follow_ups.service import Clock, DailyCheck, Opening
from services.screening.web import PersonId, utc_now
from shared.audit import Audit
from shared.auth import Principal, require
from shared.auth.roles import ADMIN, AUDITOR, INFECTION_CONTROL, WARD_STAFF
from shared.db import DbSession
from shared.errors import Conflict
from shared.pagination import MAX_ROW_ID, CursorParam, Limit, page_size
from shared.web.problems import problem_response

router = APIRouter(tags=["contact follow-up"])
Opener = Annotated[Principal, Depends(require(INFECTION_CONTROL))]
Checker = Annotated[Principal, Depends(require(*WARD_STAFF))]
FollowUpId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="The follow-up's id.")]
_UNKNOWN: dict[int | str, dict[str, Any]] = {404: {"description": "`unknown_follow_up`"}}


def _clock(request: Request) -> Clock:
    return Clock(utc_now(), request.app.state.settings.timezone)


@router.post(
    "/follow-ups",
    response_model=FollowUpPublic,
    status_code=201,
    summary="Open a contact follow-up",
    description=(
        "From today (hospital local date) for `days` days (default 14, today included). One "
        "active follow-up per person: another answers 200 with the active one, its `end` moved "
        "later when the new one would end later (re-exposure). The person must be registered "
        "(else 422 `unknown_person`). Role: infection_control."
    ),
    responses={
        200: {"description": "The active follow-up (extended)", "model": FollowUpPublic},
        409: {"description": "`conflict` (opened concurrently; try again)"},
        422: {"description": "`validation_error` or `unknown_person`"},
    },
)
def open_follow_up(
    request: Request,
    body: FollowUpCreate,
    response: Response,
    session: DbSession,
    audit: Audit,
    principal: Opener,
) -> FollowUpPublic:
    opening = Opening(body.person_external_id, body.index_external_id, body.reason, body.days)
    opened = service.open_follow_up(session, audit, principal, opening, _clock(request))
    response.status_code = 201 if opened.created else 200
    return FollowUpPublic.of(opened.follow_up)


@router.post(
    "/persons/{external_id}/exposures/follow-ups",
    response_model=FollowUpListPublic,
    status_code=201,
    summary="Open follow-ups for contacts on a person's exposure list",
    description=(
        "Traces the person's exposure list (default window, as `GET /persons/{id}/exposures`) "
        "and opens a 14-day follow-up for each listed contact in `external_ids` (or extends "
        "their active one); `reason` is the contact's exposure reasons. An id not on the list: "
        "422 `not_on_exposure_list`, nothing opened. 201 when any was opened, else 200. "
        "Role: infection_control."
    ),
    responses={
        200: {"description": "Every contact had an active follow-up (extended)"},
        404: {"description": "`unknown_person`"},
        409: {"description": "`conflict` (opened concurrently; try again)"},
        422: {"description": "`validation_error` or `not_on_exposure_list`"},
        503: {"description": "`appointments_unavailable`"},
    },
)
def open_for_exposures(
    request: Request,
    external_id: PersonId,
    body: ExposureFollowUps,
    response: Response,
    session: DbSession,
    audit: Audit,
    principal: Opener,
) -> FollowUpListPublic:
    sources = TracingSources.of(request.app.state)
    opened = open_from_exposures(
        session, audit, principal, external_id, body.external_ids, sources, _clock(request)
    )
    response.status_code = 201 if any(o.created for o in opened) else 200
    return FollowUpListPublic(items=[FollowUpPublic.of(o.follow_up) for o in opened])


@router.post(
    "/follow-ups/{follow_up_id}/checks",
    response_model=FollowUpPublic,
    status_code=201,
    summary="Record a day's check",
    description=(
        "One check per date (again: 409 `check_exists`); a date outside the follow-up or "
        "after today: 422 `date_outside_follow_up`; a closed follow-up: 409 "
        "`follow_up_closed`. Answers the follow-up with its checks. Roles: nurse, doctor, "
        "infection_control."
    ),
    responses={
        **_UNKNOWN,
        409: {"description": "`check_exists` or `follow_up_closed`"},
        422: {"description": "`validation_error` or `date_outside_follow_up`"},
    },
)
def record_check(
    request: Request,
    follow_up_id: FollowUpId,
    body: CheckCreate,
    session: DbSession,
    audit: Audit,
    principal: Checker,
) -> FollowUpPublic:
    check = DailyCheck(body.date, body.temperature_c, body.symptoms, body.note)
    done = service.record_check(session, audit, principal, follow_up_id, check, _clock(request))
    return FollowUpPublic.of(done)


@router.get(
    "/follow-ups",
    response_model=FollowUpListPublic,
    summary="List follow-ups",
    description=(
        "By id; `state` filters, `due=today` keeps the active ones running today without a "
        "check for today. `missed_days`: days before today without a check. Names masked. "
        "Roles: nurse, doctor, infection_control, auditor, admin."
    ),
    dependencies=[Depends(require(*WARD_STAFF, AUDITOR, ADMIN))],
    responses={422: {"description": "`validation_error`"}},
)
def list_follow_ups(
    request: Request,
    session: DbSession,
    audit: Audit,
    state: FollowUpState | None = None,
    due: Literal["today"] | None = None,
    limit: Limit = None,
    cursor: CursorParam = None,
) -> FollowUpListPublic:
    found = service.list_follow_ups(
        session,
        audit,
        state=state,
        due_today=due is not None,
        size=page_size(limit),
        cursor=cursor,
        clock=_clock(request),
    )
    return FollowUpListPublic(
        items=[FollowUpPublic.of(f) for f in found.items], next_cursor=found.next_cursor
    )


@router.post(
    "/follow-ups/{follow_up_id}/complete",
    response_model=FollowUpPublic,
    summary="Complete a follow-up",
    description=(
        "Needs an individual negative `nucleic_acid` result (final/corrected) collected on or "
        "after the last day (else 409 `negative_result_required`); a closed follow-up: 409 "
        "`follow_up_closed`. Role: infection_control."
    ),
    responses={**_UNKNOWN, 409: {"description": "`negative_result_required`, `follow_up_closed`"}},
)
def complete_follow_up(
    request: Request,
    follow_up_id: FollowUpId,
    session: DbSession,
    audit: Audit,
    principal: Opener,
) -> Any:
    try:
        done = service.complete(session, audit, principal, follow_up_id, _clock(request))
    except Conflict as refused:
        return problem_response(refused)  # a refusal's audit row is committed
    return FollowUpPublic.of(done)


@router.post(
    "/follow-ups/{follow_up_id}/cancel",
    response_model=FollowUpPublic,
    summary="Cancel a follow-up",
    description="With a reason; a closed follow-up: 409 `follow_up_closed`. Role: "
    "infection_control.",
    responses={
        **_UNKNOWN,
        409: {"description": "`follow_up_closed`"},
        422: {"description": "`validation_error`"},
    },
)
def cancel_follow_up(
    request: Request,
    follow_up_id: FollowUpId,
    body: CancelBody,
    session: DbSession,
    audit: Audit,
    principal: Opener,
) -> FollowUpPublic:
    return FollowUpPublic.of(
        service.cancel(session, audit, principal, follow_up_id, body.reason, _clock(request))
    )
