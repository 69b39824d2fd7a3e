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
    EntryReadingsIn,
    ReasonPublic,
    check_in_public,
)
from services.appointments.domain.appointment_status import AppointmentStatus
from services.appointments.domain.entry_screening import (
    CheckInOutcome,
    EntryDecision,
    EntryReadings,
    HealthCode,
    screen_at_entry,
)
from services.appointments.domain.health_code_check import (
    CodeHolder,
    HealthCodeSource,
    VerifiedColour,
    holder_mismatch,
    refuse_invalid_code,
)
from services.appointments.domain.schedule import Slot, within_arrival_window
from services.appointments.entrance.verifier import (
    CodeInvalid,
    HealthCodeVerifier,
    Verification,
    VerifierDown,
)
from services.appointments.models import Appointment, CheckIn
from services.appointments.settings import AppointmentsSettings
from shared.audit import AuditTrail
from shared.auth import Principal
from shared.errors import Conflict, NotFound, Problem, ServiceUnavailable
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


@dataclass(frozen=True)
class CodeReading:
    """What the health code says for one attempt, and where that came from."""

    colour: HealthCode | None
    source: HealthCodeSource
    invalid: str | None = None  # why a scanned code is refused (None: not refused)
    holder: CodeHolder | None = None
    valid_until: datetime | None = None
    fallback: str | None = None  # why the typed colour stood in for the scan


def _unavailable(why: str) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"The health code could not be verified ({why}) and no colour was typed: type the "
        "colour shown on the visitor's phone, or scan again.",
        code="health_code_unavailable",
    )


def read_health_code(
    body: EntryReadingsIn, verifier: HealthCodeVerifier | None, now: datetime
) -> CodeReading | ServiceUnavailable:
    """The colour to screen with: verified from the payload, else typed (no database use).

    Call it before the transaction opens: the HTTP verifier is a network call.
    """
    if body.health_code_payload is None:
        return CodeReading(body.health_code, HealthCodeSource.MANUAL)
    if verifier is None:
        checked: Verification = VerifierDown("no verifier is configured")
    else:
        checked = verifier.verify(body.health_code_payload, now)
    if isinstance(checked, VerifiedColour):
        colour = HealthCode(checked.colour)
        return CodeReading(
            colour, HealthCodeSource.VERIFIED, None, checked.holder, checked.valid_until
        )
    if isinstance(checked, CodeInvalid):
        return CodeReading(None, HealthCodeSource.VERIFIED, invalid=checked.reason)
    if body.health_code is None:
        return _unavailable(checked.why)
    return CodeReading(body.health_code, HealthCodeSource.MANUAL, fallback=checked.why)


def _for_this_patient(reading: CodeReading, appointment: Appointment) -> CodeReading:
    """A verified code that names someone else is refused like a forged one."""
    if reading.holder is None:
        return reading
    other = holder_mismatch(
        reading.holder, appointment.patient_name, appointment.patient_external_id
    )
    if other is None:
        return reading
    return CodeReading(None, reading.source, other, reading.holder, reading.valid_until)


def _decide(body: EntryReadingsIn, reading: CodeReading, fever_c: float) -> EntryDecision:
    if reading.invalid is not None or reading.colour is None:
        why = reading.invalid or "malformed"
        return refuse_invalid_code(
            body.temperature_c, body.mask, body.risk_area_travel_14d, fever_c, why
        )
    readings = EntryReadings(
        body.temperature_c, body.mask, reading.colour, body.risk_area_travel_14d
    )
    return screen_at_entry(readings, fever_c)


def _attempt(
    appointment: Appointment,
    body: EntryReadingsIn,
    reading: CodeReading,
    decision: EntryDecision,
    recorded: tuple[str, datetime],
) -> CheckIn:
    reasons = [{"code": r.code, "detail": r.detail} for r in decision.reasons]
    recorded_by, now = recorded
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
        health_code=reading.colour.value if reading.colour else None,
        health_code_source=reading.source.value,
        risk_area_travel_14d=body.risk_area_travel_14d,
        recorded_by=recorded_by,
    )


def _audit_attempt(
    audit: AuditTrail, appointment: Appointment, attempt: CheckIn, reading: CodeReading
) -> None:
    detail: dict[str, object] = {"health_code_source": reading.source.value}
    if reading.invalid:
        detail["health_code_invalid"] = reading.invalid
    if reading.fallback:  # the scan could not be verified: the typed colour was used
        detail["health_code_fallback"] = f"verifier {reading.fallback}; typed colour used"
    audit.record(
        "appointment.check_in",
        f"appointment/{appointment.id}",
        attempt.outcome,
        check_in_id=attempt.id,
        reasons=[r["code"] for r in json.loads(attempt.reasons)],
        **detail,
    )


def screen_and_record(
    session: Session,
    audit: AuditTrail,
    principal: Principal,
    appointment: Appointment,
    body: EntryReadingsIn,
    reading: CodeReading,
    settings: AppointmentsSettings,
    now: datetime,
) -> CheckInResult:
    """Screen a booked patient inside the arrival window, store the attempt, audit it."""
    tz = settings.timezone
    reading = _for_this_patient(reading, appointment)
    decision = _decide(body, reading, settings.wardgate_fever_threshold_c)
    new_status = NEW_STATUS.get(decision.outcome)
    if new_status and not bookings.change_status(
        session, appointment.id, (AppointmentStatus.BOOKED,), new_status, now
    ):
        raise not_active(known_appointment(session, appointment.id), "checked in")
    attempt = repository.record_check_in(
        session, _attempt(appointment, body, reading, decision, (principal.sub, now))
    )
    assert attempt.id is not None
    _audit_attempt(audit, appointment, attempt, reading)
    return CheckInResult(
        check_in_id=attempt.id,
        at=now.astimezone(tz),
        outcome=decision.outcome,
        reasons=[ReasonPublic(code=r.code, detail=r.detail) for r in decision.reasons],
        health_code=reading.colour,
        health_code_source=reading.source,
        health_code_name_masked=reading.holder.name_masked if reading.holder else None,
        health_code_valid_until=reading.valid_until.astimezone(tz) if reading.valid_until else None,
        appointment=appointment_public(known_appointment(session, appointment.id), tz),
    )


def check_in(
    session: Session,
    audit: AuditTrail,
    principal: Principal,
    appointment_id: str,
    body: CheckInCreate,
    settings: AppointmentsSettings,
    now: datetime,
    verifier: HealthCodeVerifier | None = None,
) -> CheckInResult | Problem:
    """Screen a booked patient at the door: admitted, sent to the fever clinic, or refused.

    With `health_code_payload` the colour comes from `verifier` (asked first, before the
    database is touched); an invalid code is refused (`health_code_invalid`); a verifier that
    cannot be reached falls back to the typed `health_code` (source `manual`, audited) or
    returns 503 `health_code_unavailable`. Outside the arrival window, and verifier down
    without a typed colour, the refusal is returned, not raised: its audit row commits with
    the request.
    """
    reading = read_health_code(body, verifier, now)
    tz = settings.timezone
    appointment = _booked(session, appointment_id)
    slot = Slot(appointment.slot_start.astimezone(tz), appointment.slot_end.astimezone(tz))
    early = timedelta(minutes=settings.wardgate_arrival_early_minutes)
    resource = f"appointment/{appointment.id}"
    if not within_arrival_window(slot, now, early):
        audit.record("appointment.check_in", resource, "outside_arrival_window")
        return _outside_window(slot, early)
    if isinstance(reading, ServiceUnavailable):
        audit.record("appointment.check_in", resource, "health_code_unavailable")
        return reading
    return screen_and_record(session, audit, principal, appointment, body, reading, settings, now)


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
