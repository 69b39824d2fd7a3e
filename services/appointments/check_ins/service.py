"""Checking a patient in at the door with entry screening, and listing every attempt."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from services.appointments.bookings import repository as bookings
from services.appointments.bookings.schemas import appointment_public
from services.appointments.bookings.service import known_appointment, not_active
from services.appointments.check_ins import repository
from services.appointments.check_ins.schemas import (
    CheckInCreate,
    CheckInPublic,
    CheckInResult,
    ReasonPublic,
    check_in_public,
)
from services.appointments.domain.appointment_status import AppointmentStatus
from services.appointments.domain.entry_screening import (
    CheckInOutcome,
    EntryDecision,
    EntryReadings,
    screen_at_entry,
)
from services.appointments.domain.schedule import Slot, within_arrival_window
from services.appointments.models import Appointment, CheckIn
from services.appointments.settings import AppointmentsSettings
from shared.audit import AuditTrail
from shared.auth import Principal
from shared.errors import Conflict, NotFound
from shared.pagination import Page, Position, next_cursor, page_size, time_and_row_id_after

NEW_STATUS = {
    CheckInOutcome.ADMITTED: AppointmentStatus.CHECKED_IN,
    CheckInOutcome.REDIRECTED_FEVER_CLINIC: AppointmentStatus.REDIRECTED_FEVER_CLINIC,
}


@dataclass(frozen=True)
class CheckInFilter:
    """What a list of check-in attempts is narrowed to (`from` inclusive, `to` exclusive)."""

    department: str | None = None
    patient_external_id: str | None = None
    from_: datetime | None = None
    to: datetime | None = None


@dataclass(frozen=True)
class ArrivalWindow:
    """When a booked patient may check in: from `opens` until (not including) `closes`."""

    opens: datetime
    closes: datetime

    def state(self, now: datetime) -> str:
        """`not_yet`, `open` or `over` at `now`."""
        if now < self.opens:
            return "not_yet"
        return "open" if now < self.closes else "over"


def arrival_window(
    slot_start: datetime, slot_end: datetime, settings: AppointmentsSettings
) -> ArrivalWindow:
    """The arrival window of a slot (the rule `check_in` enforces), in hospital time."""
    tz, early = settings.timezone, timedelta(minutes=settings.wardgate_arrival_early_minutes)
    return ArrivalWindow((slot_start - early).astimezone(tz), slot_end.astimezone(tz))


def _outside_window(slot: Slot, early: timedelta) -> Conflict:
    opens = (slot.start - early).isoformat()
    minutes = int(early.total_seconds() // 60)
    return Conflict(
        f"Check-in is open from {minutes} minutes before the slot starts until it ends.",
        code="outside_arrival_window",
        extra={"window_opens": opens, "window_closes": slot.end.isoformat()},
    )


def _booked(session: Session, appointment_id: str) -> Appointment:
    appointment = known_appointment(session, appointment_id)
    if appointment.status == AppointmentStatus.CHECKED_IN:
        raise Conflict("The patient is already checked in.", code="already_checked_in")
    if appointment.status != AppointmentStatus.BOOKED:
        raise not_active(appointment, "checked in")
    return appointment


def _attempt(
    appointment: Appointment,
    body: CheckInCreate,
    decision: EntryDecision,
    principal: Principal,
    now: datetime,
) -> CheckIn:
    reasons = [{"code": r.code, "detail": r.detail} for r in decision.reasons]
    return CheckIn(
        appointment_id=appointment.id,
        department_code=appointment.department_code,
        patient_external_id=appointment.patient_external_id,
        patient_name=appointment.patient_name,
        at=now,
        outcome=decision.outcome.value,
        reasons=json.dumps(reasons),
        temperature_c=body.temperature_c,
        mask=body.mask,
        health_code=body.health_code.value,
        risk_area_travel_14d=body.risk_area_travel_14d,
        recorded_by=principal.sub,
    )


def check_in(
    session: Session,
    audit: AuditTrail,
    principal: Principal,
    appointment_id: str,
    body: CheckInCreate,
    settings: AppointmentsSettings,
    now: datetime,
) -> CheckInResult | Conflict:
    """Screen a booked patient at the door: admitted, sent to the fever clinic, or refused.

    Outside the arrival window the refusal is returned, not raised: the refused attempt's
    audit row commits with the request.
    """
    tz = settings.timezone
    appointment = _booked(session, appointment_id)
    slot = Slot(appointment.slot_start.astimezone(tz), appointment.slot_end.astimezone(tz))
    early = timedelta(minutes=settings.wardgate_arrival_early_minutes)
    if not within_arrival_window(slot, now, early):
        audit.record(
            "appointment.check_in", f"appointment/{appointment.id}", "outside_arrival_window"
        )
        return _outside_window(slot, early)
    readings = EntryReadings(
        body.temperature_c, body.mask, body.health_code, body.risk_area_travel_14d
    )
    decision = screen_at_entry(readings, settings.wardgate_fever_threshold_c)
    new_status = NEW_STATUS.get(decision.outcome)
    if new_status and not bookings.change_status(
        session, appointment.id, (AppointmentStatus.BOOKED,), new_status, now
    ):
        raise not_active(known_appointment(session, appointment_id), "checked in")
    attempt = repository.record_check_in(
        session, _attempt(appointment, body, decision, principal, now)
    )
    assert attempt.id is not None
    audit.record(
        "appointment.check_in",
        f"appointment/{appointment.id}",
        decision.outcome.value,
        check_in_id=attempt.id,
        reasons=[r.code for r in decision.reasons],
    )
    return CheckInResult(
        check_in_id=attempt.id,
        at=now.astimezone(tz),
        outcome=decision.outcome,
        reasons=[ReasonPublic(code=r.code, detail=r.detail) for r in decision.reasons],
        appointment=appointment_public(known_appointment(session, appointment_id), tz),
    )


def read_check_in(
    session: Session, audit: AuditTrail, check_in_id: int, tz: ZoneInfo
) -> CheckInPublic:
    """One stored attempt (the read is audited); NotFound `unknown_check_in`."""
    found = repository.get_check_in(session, check_in_id)
    if found is None:
        raise NotFound("There is no such check-in.", code="unknown_check_in")
    audit.record("check_in.read", f"appointment/{found.appointment_id}", check_in_id=check_in_id)
    return check_in_public(found, tz)


def last_check_in(session: Session, appointment_id: str, tz: ZoneInfo) -> CheckInPublic | None:
    """The newest attempt for an appointment, or None."""
    found = repository.latest_check_in(session, appointment_id)
    return None if found is None else check_in_public(found, tz)


def list_check_ins(
    session: Session,
    audit: AuditTrail,
    narrowed: CheckInFilter,
    settings: AppointmentsSettings,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[CheckInPublic]:
    """Every attempt whatever its outcome, oldest first (exposure tracing reads these)."""
    size = page_size(limit)
    rows = repository.list_check_ins(
        session,
        department=narrowed.department,
        patient_external_id=narrowed.patient_external_id,
        from_=narrowed.from_,
        to=narrowed.to,
        after=time_and_row_id_after(cursor),
        limit=size + 1,
    )
    rows, nxt = next_cursor(rows, size, lambda last: Position(last.id or 0, last.at))
    audit.record(
        "check_in.list",
        "check-ins",
        count=len(rows),
        department=narrowed.department,
        patient_external_id=narrowed.patient_external_id,
    )
    tz = settings.timezone
    return Page(items=[check_in_public(c, tz) for c in rows], next_cursor=nxt)
