"""HTTP in and out: isolation of a person (automatic on a positive, by hand, released)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Response

from services.screening.domain.isolation import IsolationState
from services.screening.isolation import service
from services.screening.isolation.schemas import (
    IsolateBody,
    IsolatedPublic,
    IsolationListPublic,
    IsolationStatePublic,
    ReleaseBody,
)
from services.screening.web import CodeFilter, PersonId, utc_now
from shared.audit import Audit
from shared.auth import Principal, require
from shared.auth.roles import DOCTOR, INFECTION_CONTROL, READERS
from shared.db import DbSession
from shared.errors import Conflict
from shared.vocabulary import Category
from shared.web.problems import problem_response

router = APIRouter(tags=["isolation"])


@router.post(
    "/persons/{external_id}/isolation",
    response_model=IsolationStatePublic,
    status_code=201,
    summary="Isolate a person by hand",
    description=(
        "Isolates the person with `reason` (201); one already isolated stays as they are "
        "(200, the current isolation). The person's active follow-up becomes `converted`. "
        "Roles: infection_control, doctor."
    ),
    responses={
        200: {"description": "Already isolated", "model": IsolationStatePublic},
        404: {"description": "`unknown_person`"},
        422: {"description": "`validation_error`"},
    },
)
def isolate_person(
    external_id: PersonId,
    body: IsolateBody,
    response: Response,
    session: DbSession,
    audit: Audit,
    principal: Annotated[Principal, Depends(require(INFECTION_CONTROL, DOCTOR))],
) -> IsolationStatePublic:
    done = service.isolate_by_hand(session, audit, principal, external_id, body.reason, utc_now())
    response.status_code = 201 if done.changed else 200
    return IsolationStatePublic.of(done)


@router.post(
    "/persons/{external_id}/isolation/release",
    response_model=IsolationStatePublic,
    summary="Release a person from isolation",
    description=(
        "Only when there are two individual negative `nucleic_acid` results (final/corrected) "
        "collected at least 24 h apart, both after the last positive; else 409 "
        "`release_not_allowed` with `reasons` (`not_isolated`, `two_negatives_required`, "
        "`negatives_less_than_24h_apart`). Role: infection_control."
    ),
    responses={
        404: {"description": "`unknown_person`"},
        409: {"description": "`release_not_allowed`"},
        422: {"description": "`validation_error`"},
    },
)
def release_person(
    external_id: PersonId,
    body: ReleaseBody,
    session: DbSession,
    audit: Audit,
    principal: Annotated[Principal, Depends(require(INFECTION_CONTROL))],
) -> Any:
    try:
        done = service.release(session, audit, principal, external_id, body.note, utc_now())
    except Conflict as refused:
        return problem_response(refused)  # the refusal's audit row is committed
    return IsolationStatePublic.of(done)


@router.get(
    "/isolations",
    response_model=IsolationListPublic,
    summary="Who is isolated now",
    description=(
        "Everyone whose isolation state is `state` (default `isolated`), staff first (a "
        "positive member of staff is off duty until released), then the earliest isolated. "
        "Names masked. The whole list in one page."
    ),
    dependencies=[Depends(require(*READERS))],
    responses={422: {"description": "`validation_error`"}},
)
def list_isolations(
    session: DbSession,
    audit: Audit,
    state: Literal["isolated", "released"] = "isolated",
    category: Category | None = None,
    department: CodeFilter = None,
) -> IsolationListPublic:
    rows = service.list_isolations(
        session, audit, state=IsolationState(state), category=category, department=department
    )
    return IsolationListPublic(items=[IsolatedPublic.of(r) for r in rows])
