"""Persons over HTTP: PUT (create or replace), GET one, list with filters."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from services.screening.persons import service
from services.screening.persons.schemas import PersonPublic, PersonRecordPublic, PersonUpsert
from services.screening.web import CodeFilter, PersonId, utc_now
from shared.audit import Audit
from shared.audit.trail import AsyncAuditTrail
from shared.auth import Principal, require
from shared.auth.roles import CLINICAL_WRITERS, READERS
from shared.auth.routes import AuthorizedRoute, allowed, caller
from shared.db import DbSession
from shared.pagination import CursorParam, Limit, Page, page_size
from shared.vocabulary import Category
from shared.web.answers import model_answer

router = APIRouter(tags=["persons"], route_class=AuthorizedRoute)


@router.put(
    "/persons/{external_id}",
    response_model=PersonPublic,
    status_code=200,
    summary="Create (201) or replace (200) a person",
    description=(
        "Every field is replaced (omitted optional fields are cleared). `admitted_at` is for "
        "inpatients only; a caregiver needs `patient_external_id`, an existing inpatient "
        "(else 422 `unknown_patient`). `phone` and `id_number` are answered in full only to "
        "nurses, doctors and infection control."
    ),
    responses={
        201: {"description": "Created", "model": PersonPublic},
        422: {"description": "`validation_error` or `unknown_patient`"},
    },
)
def put_person(
    external_id: PersonId,
    body: PersonUpsert,
    response: Response,
    session: DbSession,
    audit: Audit,
    principal: Annotated[Principal, Depends(require(*CLINICAL_WRITERS))],
) -> PersonPublic:
    saved = service.save_person(session, audit, principal, external_id, body, utc_now())
    response.status_code = 201 if saved.created else 200
    return saved.person


@router.get(
    "/persons/{external_id}",
    response_model=PersonPublic,
    summary="Read one person",
    description=(
        "Full `phone` and `id_number` for nurses, doctors and infection control; masked for "
        "every other role. `admission`: `{admitted_at, discharged_at, disposition}`, the end "
        "set once the discharge service carried the discharge here. With `include=results` "
        "the answer also holds `results`: every "
        "version of the person's results, newest recorded first, as `GET "
        "/persons/{id}/results?include_history=true` pages them (`limit` sets the page size; "
        "`next_cursor` continues there), read in the same transaction."
    ),
    responses={200: {"model": PersonRecordPublic}},
    name="get_person",
)
@allowed(*READERS)  # checked before the parameters: one FastAPI dependency less (hot path)
async def person_route(
    external_id: PersonId,
    request: Request,
    include: Annotated[Literal["results"] | None, Query()] = None,
    limit: Limit = None,
) -> Response:
    # A hot path (the discharge gate asks it with include=results): async end to end.
    db, audit, principal = request.app.state.db, AsyncAuditTrail(request), caller(request)
    if include is not None:
        size = page_size(limit)
        return model_answer(
            await service.read_person_record(db, audit, principal, external_id, size)
        )
    return model_answer(await service.read_person(db, audit, principal, external_id))


@router.get(
    "/persons",
    response_model=Page[PersonPublic],
    summary="List persons",
    description=(
        "Ordered by external id, filtered by category, department, ward or the patient a "
        "caregiver escorts. `phone` and `id_number` are always masked in lists."
    ),
    dependencies=[Depends(require(*READERS))],
)
def list_persons(
    session: DbSession,
    audit: Audit,
    category: Category | None = None,
    department: CodeFilter = None,
    ward: CodeFilter = None,
    patient_external_id: CodeFilter = None,
    limit: Limit = None,
    cursor: CursorParam = None,
) -> Page[PersonPublic]:
    return service.list_persons(
        session,
        audit,
        category=category,
        department=department,
        ward=ward,
        patient_external_id=patient_external_id,
        size=page_size(limit),
        cursor=cursor,
    )


# Admission ends change what a person read answers; their route is served with the persons'.
