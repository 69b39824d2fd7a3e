"""Booking, reading and cancelling virtual ward visits (in-person ward visits are not offered)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from services.appointments.clients.screening import PersonRecord, ScreeningClient
from services.appointments.domain.schedule import BookingRefused
from services.appointments.domain.virtual_visit import (
    VisitStatus,
    VisitWindow,
    check_visit_time,
    join_url,
    new_room_name,
    visit_window,
)
from services.appointments.models import VirtualVisit
from services.appointments.replay import (
    Replayed,
    claim,
    keyed_request,
    replay_before_calling_out,
)
from services.appointments.settings import AppointmentsSettings
from services.appointments.virtual_visits import repository
from services.appointments.virtual_visits.schemas import (
    VirtualVisitCreate,
    VirtualVisitPublic,
    visit_public,
)
from shared.audit import AuditTrail
from shared.auth import Principal
from shared.errors import Conflict, NotFound, Unprocessable, field_error
from shared.pagination import Page, Position, next_cursor, page_size, time_and_code_after
from shared.vocabulary import Category


@dataclass(frozen=True)
class VisitFilter:
    """What a list of virtual visits is narrowed to."""

    ward: str | None = None
    patient_external_id: str | None = None


def inpatient_ward(person: PersonRecord | None, external_id: str) -> str:
    """The ward of a known inpatient; Unprocessable naming what is wrong otherwise."""
    field = [field_error("patient_external_id", "not a known inpatient with a ward")]
    if person is None:
        raise Unprocessable(
            f"The screening service does not know patient {external_id!r}.",
            code="unknown_patient",
            errors=field,
        )
    if person.category != Category.INPATIENT:
        raise Unprocessable(
            f"Virtual visits are for inpatients; this person is registered as {person.category}.",
            code="not_inpatient",
            errors=field,
        )
    if person.discharged_at is not None:
        raise Unprocessable(
            "Virtual visits are for inpatients; this patient was discharged"
            f" at {person.discharged_at.isoformat()}.",
            code="not_inpatient",
            errors=field,
        )
    if not person.ward:
        raise Unprocessable(
            "The screening service has no ward for this inpatient.", code="no_ward", errors=field
        )
    return person.ward


def known_visit(session: Session, visit_id: str) -> VirtualVisit:
    """The virtual visit; NotFound `unknown_virtual_visit` when there is none."""
    visit = repository.get_visit(session, visit_id)
    if visit is None:
        raise NotFound("There is no such virtual visit.", code="unknown_virtual_visit")
    return visit


def _refused_time(window: VisitWindow, now: datetime) -> Unprocessable | None:
    try:
        check_visit_time(window, now)
    except BookingRefused as exc:
        return Unprocessable(
            exc.detail, code=exc.code, errors=[field_error("start", exc.detail, exc.code)]
        )
    return None


def _store_visit(
    session: Session,
    principal: Principal,
    body: VirtualVisitCreate,
    window: VisitWindow,
    ward: str,
    settings: AppointmentsSettings,
    now: datetime,
) -> VirtualVisit:
    capacity = settings.wardgate_virtual_visit_capacity
    window_id = repository.ensure_window(session, ward, window.start, capacity)
    if not repository.take_visit_place(session, window_id, capacity):
        raise Conflict(
            f"Ward {ward} already has {capacity} virtual visits in that half hour.",
            code="ward_window_full",
        )
    visit = VirtualVisit(
        id=uuid.uuid4().hex,
        patient_external_id=body.patient_external_id,
        ward=ward,
        window_id=window_id,
        visitor_name=body.visitor_name,
        visitor_phone=body.visitor_phone,
        start=body.start,
        window_start=window.start,
        window_end=window.end,
        join_url=join_url(settings.wardgate_video_url_template, new_room_name()),
        status=VisitStatus.BOOKED,
        created_by=principal.sub,
        created_at=now,
        status_changed_at=now,
    )
    return repository.insert_visit(session, visit)


def book_virtual_visit(
    session: Session,
    audit: AuditTrail,
    principal: Principal,
    body: VirtualVisitCreate,
    screening: ScreeningClient,
    settings: AppointmentsSettings,
    now: datetime,
    key: str | None = None,
) -> VirtualVisitPublic | Replayed:
    """Book a video visit to an inpatient in their ward's half hour; a retried key replays.

    Network before database: the screening service is asked where the patient lies before
    the transaction that books opens (a retry's first answer is looked up before, in a
    transaction ended at once), so no lock is held while screening answers.
    """
    tz = settings.timezone
    window = visit_window(body.start, tz)
    refused = _refused_time(window, now)
    keyed = keyed_request(
        session, principal.sub, key, "/virtual-visits", body.model_dump(mode="json")
    )
    person: PersonRecord | None = None
    if refused is None:
        replayed = replay_before_calling_out(session, keyed, principal.sub, key)
        if replayed is not None:
            return replayed  # the retry does not ask the screening service again
        person = screening.person(body.patient_external_id, principal)
    replayed = claim(keyed)
    if replayed is not None:
        return replayed
    if refused:
        raise refused
    ward = inpatient_ward(person, body.patient_external_id)
    visit = _store_visit(session, principal, body, window, ward, settings, now)
    answer = visit_public(visit, tz)
    document = answer.model_dump(mode="json")
    keyed.remember(201, document)
    audit.record(
        "virtual_visit.book",
        f"virtual-visit/{visit.id}",
        ward=ward,
        window_start=document["window_start"],
        patient_external_id=visit.patient_external_id,
    )
    return answer


def list_virtual_visits(
    session: Session,
    audit: AuditTrail,
    narrowed: VisitFilter,
    settings: AppointmentsSettings,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[VirtualVisitPublic]:
    """Virtual visits by start time, narrowed by ward or patient."""
    size = page_size(limit)
    rows = repository.list_visits(
        session,
        ward=narrowed.ward,
        patient_external_id=narrowed.patient_external_id,
        after=time_and_code_after(cursor),
        limit=size + 1,
    )
    rows, nxt = next_cursor(rows, size, lambda last: Position(last.id, last.start))
    audit.record("virtual_visit.list", "virtual-visits", count=len(rows), ward=narrowed.ward)
    tz = settings.timezone
    return Page(items=[visit_public(v, tz) for v in rows], next_cursor=nxt)


def read_virtual_visit(
    session: Session, audit: AuditTrail, visit_id: str, settings: AppointmentsSettings
) -> VirtualVisitPublic:
    """One virtual visit with its join URL and status (the read is audited)."""
    visit = known_visit(session, visit_id)
    audit.record("virtual_visit.read", f"virtual-visit/{visit.id}")
    return visit_public(visit, settings.timezone)


def cancel_virtual_visit(
    session: Session,
    audit: AuditTrail,
    visit_id: str,
    settings: AppointmentsSettings,
    now: datetime,
) -> VirtualVisitPublic:
    """Cancel a visit and free its window's place; cancelling again changes nothing."""
    visit = known_visit(session, visit_id)
    if repository.cancel_visit(session, visit.id, now):
        repository.free_visit_place(session, visit.window_id)
        audit.record("virtual_visit.cancel", f"virtual-visit/{visit.id}")
    return visit_public(known_visit(session, visit_id), settings.timezone)
