"""The entrance: finding a visitor at the door, walk-ins, and the door's day in numbers.

Pages (the entrance desk, the arrivals chart) and the API call these same functions. The
check-in itself is `services.appointments.check_ins.service.check_in` (it takes the scanned
`health_code_payload` and the verifier: `entrance.verifier.health_code_verifier(request)`).
"""

from __future__ import annotations

import json
import secrets
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from services.appointments.bookings.schemas import appointment_public
from services.appointments.bookings.service import BookingRequest, take_place
from services.appointments.check_ins.service import (
    arrival_window,
    read_health_code,
    screen_and_record,
)
from services.appointments.departments.service import known_department, schedule_of
from services.appointments.domain.entrance_day import (
    Attempt,
    count_attempts,
    day_bounds,
    department_day,
    walk_in_slots,
)
from services.appointments.domain.schedule import local_day
from services.appointments.entrance import repository
from services.appointments.entrance.schemas import (
    ArrivalPublic,
    ArrivalWindowPublic,
    DepartmentCounts,
    EntranceSummary,
    HourCounts,
    OutcomeCounts,
    SourceCounts,
    WalkInCreate,
    WalkInResult,
)
from services.appointments.entrance.verifier import HealthCodeVerifier
from services.appointments.models import Appointment, Department
from services.appointments.settings import AppointmentsSettings
from shared.audit import AuditTrail
from shared.auth import Principal
from shared.errors import Conflict, NotFound, Problem, ServiceUnavailable, Unprocessable
from shared.pagination import Page, Position, next_cursor, page_size, time_and_code_after

MAX_QUERY_CHARS = 200


def find_arrivals(
    session: Session,
    audit: AuditTrail,
    query: str,
    settings: AppointmentsSettings,
    now: datetime,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[ArrivalPublic]:
    """Today's appointments (all departments) a visitor at the door may be.

    `query` is a booking code or a patient id (exact match, any time today, so that an early
    visitor hears when to come back) or part of a name (case-insensitive, only appointments
    whose arrival window is open now). Cancelled and rescheduled appointments are not found.
    """
    text = query.strip()[:MAX_QUERY_CHARS]
    if not text:
        return Page(items=[], next_cursor=None)
    tz, size = settings.timezone, page_size(limit)
    early = timedelta(minutes=settings.wardgate_arrival_early_minutes)
    search = repository.ArrivalSearch(text, local_day(now, tz), now + early, now)
    rows = repository.find_arrivals(session, search, time_and_code_after(cursor), size + 1)
    rows, nxt = next_cursor(rows, size, lambda last: Position(last[0].id, last[0].slot_start))
    audit.record("entrance.find_arrivals", "appointments", count=len(rows))
    return Page(items=[_arrival(a, name, settings, now) for a, name in rows], next_cursor=nxt)


def _arrival(
    appointment: Appointment, department_name: str, settings: AppointmentsSettings, now: datetime
) -> ArrivalPublic:
    window = arrival_window(appointment.slot_start, appointment.slot_end, settings)
    return ArrivalPublic(
        appointment=appointment_public(appointment, settings.timezone),
        department_name=department_name,
        arrival_window=ArrivalWindowPublic(
            opens=window.opens, closes=window.closes, state=window.state(now)
        ),
    )


def _walk_in_department(session: Session, code: str) -> Department:
    try:
        return known_department(session, code)
    except NotFound as exc:
        raise Unprocessable(exc.detail, code="unknown_department") from exc


def _book_first_free(
    session: Session, request: BookingRequest, now: datetime, tz: ZoneInfo
) -> Appointment:
    """The current slot if it has a place, else the next free one today; 409 `no_free_slot`."""
    for slot in walk_in_slots(schedule_of(request.department), now, tz):
        try:
            return take_place(session, replace(request, slot_start=slot.start), now, tz)
        except Conflict as exc:
            if exc.code != "slot_full":
                raise
    raise Conflict(
        f"Department {request.department.code} has no free place left today.",
        code="no_free_slot",
    )


def walk_in(
    session: Session,
    audit: AuditTrail,
    principal: Principal,
    body: WalkInCreate,
    settings: AppointmentsSettings,
    now: datetime,
    verifier: HealthCodeVerifier | None = None,
) -> WalkInResult | Problem:
    """Book a visitor without a booking into today's first free slot and screen them now.

    The health code is verified first (network before the transaction). Capacity rules are
    the bookings' own (one conditional UPDATE per slot tried). The visitor is screened at the
    door now whatever the slot's time; a refused visitor keeps the booking and may check in
    again. Without a patient id a `WALKIN-...` id is made up. Returns the 503 problem (verifier
    down, no colour typed) with its audit row instead of raising it; nothing is booked then.
    """
    reading = read_health_code(body, verifier, now)
    if isinstance(reading, ServiceUnavailable):
        audit.record("entrance.walk_in", f"department/{body.department}", reading.code)
        return reading
    tz = settings.timezone
    department = _walk_in_department(session, body.department)
    patient_id = body.patient_external_id or f"WALKIN-{secrets.token_hex(5).upper()}"
    request = BookingRequest(
        department, now, patient_id, body.patient_name, body.phone, principal.sub
    )
    appointment = _book_first_free(session, request, now, tz)
    audit.record(
        "appointment.book",
        f"appointment/{appointment.id}",
        department=department.code,
        slot_start=appointment.slot_start.astimezone(tz).isoformat(),
        booking_code=appointment.booking_code,
        patient_external_id=patient_id,
        walk_in=True,
    )
    result = screen_and_record(session, audit, principal, appointment, body, reading, settings, now)
    return WalkInResult(appointment=result.appointment, check_in=result)


def _has_fever(reasons: str) -> bool:
    return any(r.get("code") == "fever" for r in json.loads(reasons))


def entrance_summary(
    session: Session,
    audit: AuditTrail,
    day: date,
    department: str | None,
    tz: ZoneInfo,
) -> EntranceSummary:
    """The door's day: attempts by outcome, source and local hour, fever, and per department
    how many appointments are held, arrived and not yet come. NotFound for an unknown
    department."""
    if department:
        known_department(session, department)
    start, end = day_bounds(day, tz)
    rows = repository.attempts_between(session, start, end, department)
    counted = count_attempts(
        (Attempt(r.at, r.outcome, r.source, _has_fever(r.reasons)) for r in rows), tz
    )
    statuses: dict[str, Counter[str]] = {}
    codes = [department] if department else repository.department_codes(session)
    for code in codes:
        statuses[code] = Counter()
    for code, status, n in repository.statuses_of_day(session, day, department):
        statuses.setdefault(code, Counter())[status] += n
    audit.record("entrance.summary", "entrance", date=day.isoformat(), department=department)
    return EntranceSummary(
        date=day,
        by_outcome=OutcomeCounts(**counted.by_outcome),
        by_source=SourceCounts(**counted.by_source),
        fever=counted.fever,
        by_hour=[HourCounts(hour=h, **c) for h, c in sorted(counted.by_hour.items())],
        by_department=[
            DepartmentCounts(
                department=code,
                **dict(zip(("booked", "arrived", "not_yet"), department_day(c), strict=True)),
            )
            for code, c in sorted(statuses.items())
        ],
    )
