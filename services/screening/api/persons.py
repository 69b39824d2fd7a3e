"""Persons: PUT (create or replace), GET one, list with filters."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from services.screening.api.deps import (
    CodeFilter,
    PersonId,
    person_view,
    sees_identity,
    utc_now,
)
from services.screening.feeds.inbox import release_for_person
from services.screening.repository import persons
from services.screening.schemas import Category, PersonPublic, PersonUpsert
from shared.audit import Audit
from shared.auth import Principal, require
from shared.auth.roles import CLINICAL_WRITERS, READERS
from shared.db import DbSession, in_transaction
from shared.errors import NotFound, Unprocessable, field_error
from shared.pagination import CursorParam, Limit, Page, Position, code_after, next_cursor, page_size

router = APIRouter(tags=["persons"])


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
) -> dict[str, Any]:
    patient = body.patient_external_id
    if patient is not None and (
        patient == external_id or not persons.is_inpatient(session, patient)
    ):
        detail = "patient_external_id must name a registered inpatient."
        raise Unprocessable(
            detail,
            code="unknown_patient",
            errors=[field_error("patient_external_id", detail, "unknown_patient")],
        )
    row, created = persons.upsert_person(session, external_id, body.model_dump(), utc_now())
    response.status_code = 201 if created else 200
    audit.record(
        "person.create" if created else "person.update",
        f"person/{external_id}",
        category=body.category,
        department=body.department,
    )
    # Feed results held in the inbox for this person are stored now that they are known.
    release_for_person(session, external_id, principal.sub, audit.record, utc_now())
    return person_view(row, full=sees_identity(principal))


def get_person(
    external_id: str, session: DbSession, audit: Audit, principal: Principal
) -> dict[str, Any]:
    """One person as this caller may see them, audited (the route and the pages share it)."""
    row = persons.get_person(session, external_id)
    if row is None:
        raise NotFound("No person with this external_id.", code="unknown_person")
    full = sees_identity(principal)
    audit.record("person.read", f"person/{external_id}", identity_shown=full)
    return person_view(row, full=full)


@router.get(
    "/persons/{external_id}",
    response_model=PersonPublic,
    summary="Read one person",
    description=(
        "Full `phone` and `id_number` for nurses, doctors and infection control; masked for "
        "every other role."
    ),
    name="get_person",
)
async def person_route(
    external_id: PersonId,
    session: DbSession,
    audit: Audit,
    principal: Annotated[Principal, Depends(require(*READERS))],
) -> dict[str, Any]:
    # async, with the read, the audit row and the commit in one thread-pool hop.
    return await in_transaction(session, lambda: get_person(external_id, session, audit, principal))


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
) -> dict[str, Any]:
    size = page_size(limit)
    rows = persons.list_persons(
        session,
        size=size,
        after=code_after(cursor),
        category=category,
        department=department,
        ward=ward,
        patient_external_id=patient_external_id,
    )
    rows, nxt = next_cursor(rows, size, lambda r: Position(r["external_id"]))
    audit.record("person.list", "persons", category=category, department=department, ward=ward)
    return {"items": [person_view(r, full=False) for r in rows], "next_cursor": nxt}
