"""Check-in at the door with entry screening, and the list of every attempt."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from services.appointments.api.appointments import appointment_or_404, not_active
from services.appointments.api.deps import CodeFilter, Now, RecordId, Settings
from services.appointments.api.shapes import appointment_public, check_in_public
from services.appointments.domain.entry_screening import (
    CheckInOutcome,
    EntryReadings,
    screen_at_entry,
)
from services.appointments.domain.schedule import Slot, within_arrival_window
from services.appointments.repository import bookings, check_ins
from services.appointments.schemas import (
    CheckInCreate,
    CheckInPublic,
    CheckInResult,
    HospitalTime,
    ReasonPublic,
)
from shared.audit import Audit
from shared.auth import Principal, require
from shared.auth.roles import ADMIN, AUDITOR, WARD_STAFF
from shared.db import DbSession
from shared.errors import Conflict
from shared.pagination import (
    CursorParam,
    Limit,
    Page,
    Position,
    next_cursor,
    page_size,
    time_and_row_id_after,
)
from shared.web.problems import problem_response

router = APIRouter(tags=["check-ins"])
NEW_STATUS = {
    CheckInOutcome.ADMITTED: "checked_in",
    CheckInOutcome.REDIRECTED_FEVER_CLINIC: "redirected_fever_clinic",
}


def _outside_window(slot: Slot, early: timedelta) -> Conflict:
    opens = (slot.start - early).isoformat()
    minutes = int(early.total_seconds() // 60)
    return Conflict(
        f"Check-in is open from {minutes} minutes before the slot starts until it ends.",
        code="outside_arrival_window",
        extra={"window_opens": opens, "window_closes": slot.end.isoformat()},
    )


@router.post(
    "/appointments/{appointment_id}/check-in",
    response_model=CheckInResult,
    summary="Check a patient in with entry screening",
    description=(
        "Temperature at or above the fever threshold (default 37.3 C), a yellow or red health "
        "code or risk-area travel -> `redirected_fever_clinic`; otherwise no mask -> `refused` "
        "(the patient may check in again with a mask); otherwise `admitted`. Every attempt is "
        "kept with its readings. Outside the arrival window (15 minutes before the slot until "
        "its end) -> 409 `outside_arrival_window`. Nurses, doctors, infection control."
    ),
    responses={409: {"description": "Outside the window, or not a booked appointment"}},
)
def check_in(
    appointment_id: RecordId,
    body: CheckInCreate,
    principal: Annotated[Principal, Depends(require(*WARD_STAFF))],
    session: DbSession,
    audit: Audit,
    settings: Settings,
    now: Now,
) -> CheckInResult | Response:
    tz = settings.timezone
    appointment = appointment_or_404(session, appointment_id)
    if appointment.status == "checked_in":
        raise Conflict("The patient is already checked in.", code="already_checked_in")
    if appointment.status != "booked":
        raise not_active(appointment, "checked in")
    slot = Slot(appointment.slot_start.astimezone(tz), appointment.slot_end.astimezone(tz))
    early = timedelta(minutes=settings.wardgate_arrival_early_minutes)
    if not within_arrival_window(slot, now, early):
        # The refused attempt is audited and committed; the answer is still a 409.
        audit.record(
            "appointment.check_in", f"appointment/{appointment.id}", "outside_arrival_window"
        )
        return problem_response(_outside_window(slot, early))
    readings = EntryReadings(
        body.temperature_c, body.mask, body.health_code, body.risk_area_travel_14d
    )
    decision = screen_at_entry(readings, settings.wardgate_fever_threshold_c)
    new_status = NEW_STATUS.get(decision.outcome)
    if new_status and not bookings.change_status(
        session, appointment.id, ("booked",), new_status, now
    ):
        raise not_active(appointment_or_404(session, appointment_id), "checked in")
    reasons = [{"code": r.code, "detail": r.detail} for r in decision.reasons]
    attempt = check_ins.record_check_in(
        session,
        {
            "appointment_id": appointment.id,
            "department_code": appointment.department_code,
            "patient_external_id": appointment.patient_external_id,
            "patient_name": appointment.patient_name,
            "at": now,
            "outcome": decision.outcome.value,
            "reasons": json.dumps(reasons),
            "temperature_c": body.temperature_c,
            "mask": body.mask,
            "health_code": body.health_code.value,
            "risk_area_travel_14d": body.risk_area_travel_14d,
            "recorded_by": principal.sub,
        },
    )
    assert attempt.id is not None
    audit.record(
        "appointment.check_in",
        f"appointment/{appointment.id}",
        decision.outcome.value,
        check_in_id=attempt.id,
        reasons=[r["code"] for r in reasons],
    )
    return CheckInResult(
        check_in_id=attempt.id,
        at=now.astimezone(tz),
        outcome=decision.outcome,
        reasons=[ReasonPublic(**r) for r in reasons],
        appointment=appointment_public(appointment_or_404(session, appointment_id), tz),
    )


@router.get(
    "/check-ins",
    response_model=Page[CheckInPublic],
    summary="List check-in attempts",
    description=(
        "Every attempt whatever its outcome, oldest first, by department and/or patient; "
        "`from` inclusive, `to` exclusive. Used by exposure tracing. Nurses, doctors, "
        "infection control, auditors and admins."
    ),
    dependencies=[Depends(require(*WARD_STAFF, AUDITOR, ADMIN))],
)
def list_check_ins(
    session: DbSession,
    audit: Audit,
    settings: Settings,
    department: CodeFilter = None,
    patient_external_id: CodeFilter = None,
    from_: Annotated[HospitalTime | None, Query(alias="from")] = None,
    to: HospitalTime | None = None,
    limit: Limit = None,
    cursor: CursorParam = None,
) -> Page[CheckInPublic]:
    size = page_size(limit)
    rows = check_ins.list_check_ins(
        session,
        department=department,
        patient_external_id=patient_external_id,
        from_=from_,
        to=to,
        after=time_and_row_id_after(cursor),
        limit=size + 1,
    )
    rows, nxt = next_cursor(rows, size, lambda last: Position(last.id or 0, last.at))
    audit.record(
        "check_in.list",
        "check-ins",
        count=len(rows),
        department=department,
        patient_external_id=patient_external_id,
    )
    return Page(items=[check_in_public(c, settings.timezone) for c in rows], next_cursor=nxt)
