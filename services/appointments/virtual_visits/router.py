"""Virtual ward visits: in-person ward visits are not offered."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response

from services.appointments.routing import (
    READERS,
    CodeFilter,
    Now,
    RecordId,
    Screening,
    Settings,
    Writer,
    replay_response,
)
from services.appointments.virtual_visits import service
from services.appointments.virtual_visits.schemas import VirtualVisitCreate, VirtualVisitPublic
from shared.audit import Audit
from shared.auth import require
from shared.db import DbSession
from shared.idempotency import IdempotencyKeyHeader
from shared.pagination import CursorParam, Limit, Page

router = APIRouter(tags=["virtual visits"])


@router.post(
    "/virtual-visits",
    status_code=201,
    response_model=VirtualVisitPublic,
    summary="Book a virtual ward visit",
    description=(
        "A video visit to an inpatient, with a `join_url` to an unguessable room. At most "
        "`WARDGATE_VIRTUAL_VISIT_CAPACITY` visits per ward per 30-minute window (409 "
        "`ward_window_full`). The ward comes from the screening service: unknown patient -> 422 "
        "`unknown_patient`, not an inpatient -> 422 `not_inpatient`, no ward -> 422 `no_ward`, "
        "screening unreachable -> 503 `screening_unavailable`. Honours `Idempotency-Key`."
    ),
    responses={409: {"description": "Window full"}, 503: {"description": "Screening down"}},
)
def book_virtual_visit(
    body: VirtualVisitCreate,
    principal: Writer,
    session: DbSession,
    audit: Audit,
    settings: Settings,
    screening: Screening,
    now: Now,
    idempotency_key_header: IdempotencyKeyHeader = None,
) -> Response:
    booked = service.book_virtual_visit(
        session, audit, principal, body, screening, settings, now, idempotency_key_header
    )
    if isinstance(booked, VirtualVisitPublic):
        return JSONResponse(booked.model_dump(mode="json"), status_code=201)
    return replay_response(booked)


@router.get(
    "/virtual-visits",
    response_model=Page[VirtualVisitPublic],
    summary="List virtual visits",
    description="By start time, filtered by ward or patient.",
    dependencies=[Depends(require(*READERS))],
)
def list_virtual_visits(
    session: DbSession,
    audit: Audit,
    settings: Settings,
    ward: CodeFilter = None,
    patient_external_id: CodeFilter = None,
    limit: Limit = None,
    cursor: CursorParam = None,
) -> Page[VirtualVisitPublic]:
    narrowed = service.VisitFilter(ward, patient_external_id)
    return service.list_virtual_visits(session, audit, narrowed, settings, limit, cursor)


@router.get(
    "/virtual-visits/{visit_id}",
    response_model=VirtualVisitPublic,
    summary="Read a virtual visit",
    description="One virtual visit with its join URL and status.",
    dependencies=[Depends(require(*READERS))],
)
def get_virtual_visit(
    visit_id: RecordId, session: DbSession, audit: Audit, settings: Settings
) -> VirtualVisitPublic:
    return service.read_virtual_visit(session, audit, visit_id, settings)


@router.post(
    "/virtual-visits/{visit_id}/cancel",
    response_model=VirtualVisitPublic,
    summary="Cancel a virtual visit",
    description="Frees the ward window's place; cancelling again answers 200 unchanged.",
)
def cancel_virtual_visit(
    visit_id: RecordId,
    _principal: Writer,
    session: DbSession,
    audit: Audit,
    settings: Settings,
    now: Now,
) -> VirtualVisitPublic:
    return service.cancel_virtual_visit(session, audit, visit_id, settings, now)
