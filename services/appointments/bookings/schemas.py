"""Appointment models of the API, and stored appointments shaped into answers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from services.appointments.inputs import HospitalTime, InputModel
from services.appointments.models import Appointment
from shared.fields import Identifier, Name, Phone
from shared.masking import mask_phone


class AppointmentCreate(InputModel):
    """`POST /appointments`."""

    department: Identifier
    patient_external_id: Identifier
    patient_name: Name
    phone: Phone | None = None
    slot_start: HospitalTime


class RescheduleIn(InputModel):
    """`POST /appointments/{id}/reschedule`: another slot of the same department."""

    slot_start: HospitalTime


class AppointmentPublic(BaseModel):
    """An appointment; times in hospital local time, the phone masked."""

    id: str
    booking_code: str
    department: str
    patient_external_id: str
    patient_name: str
    phone: str | None = None
    slot_start: datetime
    slot_end: datetime
    status: str
    rescheduled_from: str | None = None
    created_at: datetime


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
