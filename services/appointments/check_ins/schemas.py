"""Check-in models of the API, and stored attempts shaped into answers."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Self
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StrictBool,
    StrictFloat,
    model_validator,
)
from pydantic_core import PydanticCustomError

from services.appointments.bookings.schemas import AppointmentPublic
from services.appointments.domain.entry_screening import CheckInOutcome, HealthCode
from services.appointments.domain.health_code_check import HealthCodeSource
from services.appointments.inputs import InputModel
from services.appointments.models import CheckIn
from shared.auth.health_codes import MAX_PAYLOAD_CHARS

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


# The text of a scanned health-code QR (a QR code holds at most 2,953 bytes).
HealthCodePayload = Annotated[str, Field(min_length=1, max_length=MAX_PAYLOAD_CHARS)]


class EntryReadingsIn(InputModel):
    """The readings taken at the door: the colour typed, or the scanned payload, or both."""

    temperature_c: BodyTemperature
    mask: StrictBool
    health_code: HealthCode | None = Field(
        default=None,
        description="The colour the nurse reads off the phone; may be left out with a payload "
        "(then used only when the verifier cannot be reached, `health_code_source: manual`).",
    )
    health_code_payload: HealthCodePayload | None = Field(
        default=None,
        description="The text of the scanned health-code QR: the colour comes from verifying it.",
    )
    risk_area_travel_14d: StrictBool

    @model_validator(mode="after")
    def _a_colour_or_a_payload(self) -> Self:
        if self.health_code is None and self.health_code_payload is None:
            raise PydanticCustomError(
                "health_code_required",
                "give health_code (the colour on the phone) or health_code_payload (the scan)",
            )
        return self


class CheckInCreate(EntryReadingsIn):
    """`POST /appointments/{id}/check-in`: the readings taken at the door."""


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
    health_code: HealthCode | None = Field(
        description="The colour screened with; null when a scanned code failed verification"
    )
    health_code_source: HealthCodeSource
    health_code_name_masked: str | None = Field(
        default=None, description="Whom a verified code names (masked), to compare at the door"
    )
    health_code_valid_until: datetime | None = None
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
    health_code: HealthCode | None
    health_code_source: HealthCodeSource
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
        health_code=HealthCode(check_in.health_code) if check_in.health_code else None,
        health_code_source=HealthCodeSource(check_in.health_code_source),
        risk_area_travel_14d=check_in.risk_area_travel_14d,
        reasons=[ReasonPublic(**r) for r in json.loads(check_in.reasons)],
    )
