"""Virtual ward visits: in-person ward visits are not offered."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from services.appointments.api.deps import CodeFilter, Now, RecordId, Screening, Settings
from services.appointments.api.shapes import visit_public
from services.appointments.clients.screening import PersonRecord
from services.appointments.domain.schedule import BookingRefused
from services.appointments.domain.virtual_visit import (
    check_visit_time,
    join_url,
    new_room_name,
    visit_window,
)
from services.appointments.models import VirtualVisit, idempotency_key
from services.appointments.repository import virtual_visits as repo
from services.appointments.schemas import VirtualVisitCreate, VirtualVisitPublic
from shared.audit import Audit
from shared.auth import Principal, require
from shared.auth.roles import ADMIN, AUDITOR, CLINICAL_WRITERS
from shared.db import DbSession
from shared.errors import Conflict, NotFound, Unprocessable, field_error
from shared.idempotency import IdempotencyKeyHeader, IdempotentRequest, fingerprint
from shared.pagination import (
    CursorParam,
    Limit,
    Page,
    Position,
    next_cursor,
    page_size,
    time_and_code_after,
)

router = APIRouter(tags=["virtual visits"])
Writer = Annotated[Principal, Depends(require(*CLINICAL_WRITERS))]
READERS = (*CLINICAL_WRITERS, AUDITOR, ADMIN)


def _inpatient_ward(person: PersonRecord | None, external_id: str) -> str:
    """The ward of a known inpatient; 422 naming what is wrong otherwise."""
    field = [field_error("patient_external_id", "not a known inpatient with a ward")]
    if person is None:
        raise Unprocessable(
            f"The screening service does not know patient {external_id!r}.",
            code="unknown_patient",
            errors=field,
        )
    if person.category != "inpatient":
        raise Unprocessable(
            f"Virtual visits are for inpatients; this person is registered as {person.category}.",
            code="not_inpatient",
            errors=field,
        )
    if not person.ward:
        raise Unprocessable(
            "The screening service has no ward for this inpatient.", code="no_ward", errors=field
        )
    return person.ward


def _visit_or_404(session: DbSession, visit_id: str) -> VirtualVisit:
    visit = repo.get_visit(session, visit_id)
    if visit is None:
        raise NotFound("There is no such virtual visit.", code="unknown_virtual_visit")
    return visit


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
) -> JSONResponse:
    tz = settings.timezone
    keyed = IdempotentRequest(
        session,
        idempotency_key,
        principal.sub,
        idempotency_key_header,
        fingerprint("POST", "/virtual-visits", body.model_dump(mode="json")),
    )
    replay = keyed.claim()
    if replay is not None:
        return replay  # type: ignore[return-value]
    window = visit_window(body.start, tz)
    try:
        check_visit_time(window, now)
    except BookingRefused as exc:
        raise Unprocessable(
            exc.detail, code=exc.code, errors=[field_error("start", exc.detail, exc.code)]
        ) from exc
    person = screening.person(body.patient_external_id, principal)
    ward = _inpatient_ward(person, body.patient_external_id)
    capacity = settings.wardgate_virtual_visit_capacity
    window_id = repo.ensure_window(session, ward, window.start, capacity)
    if not repo.take_visit_place(session, window_id, capacity):
        raise Conflict(
            f"Ward {ward} already has {capacity} virtual visits in that half hour.",
            code="ward_window_full",
        )
    visit = repo.insert_visit(
        session,
        {
            "id": uuid.uuid4().hex,
            "patient_external_id": body.patient_external_id,
            "ward": ward,
            "window_id": window_id,
            "visitor_name": body.visitor_name,
            "visitor_phone": body.visitor_phone,
            "start": body.start,
            "window_start": window.start,
            "window_end": window.end,
            "join_url": join_url(settings.wardgate_video_url_template, new_room_name()),
            "status": "booked",
            "created_by": principal.sub,
            "created_at": now,
            "status_changed_at": now,
        },
    )
    answer = visit_public(visit, tz).model_dump(mode="json")
    keyed.remember(201, answer)
    audit.record(
        "virtual_visit.book",
        f"virtual-visit/{visit.id}",
        ward=ward,
        window_start=answer["window_start"],
        patient_external_id=visit.patient_external_id,
    )
    return JSONResponse(answer, status_code=201)


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
    size = page_size(limit)
    rows = repo.list_visits(
        session,
        ward=ward,
        patient_external_id=patient_external_id,
        after=time_and_code_after(cursor),
        limit=size + 1,
    )
    rows, nxt = next_cursor(rows, size, lambda last: Position(last.id, last.start))
    audit.record("virtual_visit.list", "virtual-visits", count=len(rows), ward=ward)
    return Page(items=[visit_public(v, settings.timezone) for v in rows], next_cursor=nxt)


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
    visit = _visit_or_404(session, visit_id)
    audit.record("virtual_visit.read", f"virtual-visit/{visit.id}")
    return visit_public(visit, settings.timezone)


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
    visit = _visit_or_404(session, visit_id)
    if repo.cancel_visit(session, visit.id, now):
        repo.free_visit_place(session, visit.window_id)
        audit.record("virtual_visit.cancel", f"virtual-visit/{visit.id}")
    return visit_public(_visit_or_404(session, visit_id), settings.timezone)
