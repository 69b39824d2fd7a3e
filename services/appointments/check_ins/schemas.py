"""Check-in models of the API, and stored attempts shaped into answers."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, Field, StrictBool, StrictFloat
from pydantic_core import PydanticCustomError

from services.appointments.bookings.schemas import AppointmentPublic
from services.appointments.domain.entry_screening import CheckInOutcome, HealthCode
from services.appointments.inputs import InputModel
from services.appointments.models import CheckIn

# A body temperature outside this range is a thermometer error far more often than a patient:
# it is refused (422, re-measure), never taken as a fever or as normal.
PLAUSIBLE_TEMPERATURE_C = (34.0, 42.0)


def _plausible_temperature(value: float) -> float:
    low, high = PLAUSIBLE_TEMPERATURE_C
    if not low <= value <= high:
        raise PydanticCustomError(
            "implausible_temperature",
            "{value} °C is outside {low} to {high} °C, the range a body temperature can have: "
            "re-measure the temperature",
            {"value": value, "low": low, "high": high},
        )
    return value


BodyTemperature = Annotated[
    StrictFloat, Field(allow_inf_nan=False), AfterValidator(_plausible_temperature)
]


class CheckInCreate(InputModel):
    """`POST /appointments/{id}/check-in`: the readings taken at the door."""

    temperature_c: BodyTemperature
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
