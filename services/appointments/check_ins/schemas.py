"""Check-in models of the API, and stored attempts shaped into answers."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, StrictBool, StrictFloat

from services.appointments.bookings.schemas import AppointmentPublic
from services.appointments.domain.entry_screening import CheckInOutcome, HealthCode
from services.appointments.inputs import InputModel
from services.appointments.models import CheckIn


class CheckInCreate(InputModel):
    """`POST /appointments/{id}/check-in`: the readings taken at the door."""

    temperature_c: StrictFloat = Field(ge=30.0, le=45.0, allow_inf_nan=False)
    mask: StrictBool
    health_code: HealthCode
    risk_area_travel_14d: StrictBool


class ReasonPublic(BaseModel):
    """Why a patient was not admitted."""

    code: str
    detail: str


class CheckInResult(BaseModel):
    """The door's decision, the stored attempt and the appointment afterwards."""

    check_in_id: int
    at: datetime
    outcome: CheckInOutcome
    reasons: list[ReasonPublic]
    appointment: AppointmentPublic


class CheckInPublic(BaseModel):
    """One stored check-in attempt."""

    id: int
    appointment_id: str
    department: str
    patient_external_id: str
    patient_name: str
    at: datetime
    outcome: CheckInOutcome
    temperature_c: float
    mask: bool
    health_code: HealthCode
    risk_area_travel_14d: bool
    reasons: list[ReasonPublic]


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
        outcome=CheckInOutcome(check_in.outcome),
        temperature_c=check_in.temperature_c,
        mask=check_in.mask,
        health_code=HealthCode(check_in.health_code),
        risk_area_travel_14d=check_in.risk_area_travel_14d,
        reasons=[ReasonPublic(**r) for r in json.loads(check_in.reasons)],
    )
