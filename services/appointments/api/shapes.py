"""Stored rows shaped into answers: hospital local times, phones masked."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from services.appointments.domain.privacy import mask_phone
from services.appointments.models import Appointment, CheckIn, Department, VirtualVisit
from services.appointments.schemas import (
    AppointmentPublic,
    CheckInPublic,
    DepartmentPublic,
    ReasonPublic,
    VirtualVisitPublic,
)


def department_public(department: Department, tz: ZoneInfo) -> DepartmentPublic:
    """A department answer."""
    return DepartmentPublic(
        code=department.code,
        name=department.name,
        slot_minutes=department.slot_minutes,
        capacity_per_slot=department.capacity_per_slot,
        opens=department.opens,
        closes=department.closes,
        booking_days_ahead=department.booking_days_ahead,
        timezone=tz.key,
        updated_at=department.updated_at.astimezone(tz),
    )


def appointment_public(appointment: Appointment, tz: ZoneInfo) -> AppointmentPublic:
    """An appointment answer."""
    return AppointmentPublic(
        id=appointment.id,
        booking_code=appointment.booking_code,
        department=appointment.department_code,
        patient_external_id=appointment.patient_external_id,
        patient_name=appointment.patient_name,
        phone=mask_phone(appointment.phone),
        slot_start=appointment.slot_start.astimezone(tz),
        slot_end=appointment.slot_end.astimezone(tz),
        status=appointment.status,
        rescheduled_from=appointment.rescheduled_from,
        created_at=appointment.created_at.astimezone(tz),
    )


def check_in_public(check_in: CheckIn, tz: ZoneInfo) -> CheckInPublic:
    """A stored check-in attempt."""
    assert check_in.id is not None
    return CheckInPublic(
        id=check_in.id,
        appointment_id=check_in.appointment_id,
        department=check_in.department_code,
        patient_external_id=check_in.patient_external_id,
        patient_name=check_in.patient_name,
        at=check_in.at.astimezone(tz),
        outcome=check_in.outcome,
        temperature_c=check_in.temperature_c,
        mask=check_in.mask,
        health_code=check_in.health_code,
        risk_area_travel_14d=check_in.risk_area_travel_14d,
        reasons=[ReasonPublic(**r) for r in json.loads(check_in.reasons)],
    )


def visit_public(visit: VirtualVisit, tz: ZoneInfo) -> VirtualVisitPublic:
    """A virtual visit answer."""
    return VirtualVisitPublic(
        id=visit.id,
        patient_external_id=visit.patient_external_id,
        ward=visit.ward,
        visitor_name=visit.visitor_name,
        visitor_phone=mask_phone(visit.visitor_phone),
        start=visit.start.astimezone(tz),
        window_start=visit.window_start.astimezone(tz),
        window_end=visit.window_end.astimezone(tz),
        join_url=visit.join_url,
        status=visit.status,
        created_at=visit.created_at.astimezone(tz),
    )
