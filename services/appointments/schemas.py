"""Input models (unknown fields refused, server-owned fields absent) and output models."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    model_validator,
)

from services.appointments.domain.entry_screening import CheckInOutcome, HealthCode
from services.appointments.domain.schedule import parse_clock_time
from shared.fields import Identifier, Name, Phone, Timestamp

EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


def _in_supported_range(value: datetime) -> datetime:
    try:
        year = value.astimezone(UTC).year
    except OverflowError:
        year = 0
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise ValueError(f"must lie between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


def _day_in_supported_range(value: date) -> date:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"must lie between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


# An aware instant (naive -> 422) in a range every backend and time zone can represent.
HospitalTime = Annotated[Timestamp, AfterValidator(_in_supported_range)]
HospitalDay = Annotated[date, AfterValidator(_day_in_supported_range)]
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class InputModel(BaseModel):
    """Base of every request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class DepartmentIn(InputModel):
    """`PUT /departments/{code}`: a department's schedule in hospital local time."""

    name: Name
    slot_minutes: StrictInt = Field(15, ge=5, le=720)
    capacity_per_slot: StrictInt = Field(5, ge=0, le=10_000)
    opens: ClockTime = "08:00"
    closes: ClockTime = "17:00"
    booking_days_ahead: StrictInt = Field(7, ge=0, le=365)

    @model_validator(mode="after")
    def _one_slot_fits(self) -> DepartmentIn:
        opens, closes = parse_clock_time(self.opens), parse_clock_time(self.closes)
        minutes = (closes.hour - opens.hour) * 60 + closes.minute - opens.minute
        if minutes < self.slot_minutes:
            raise ValueError("closes must be at least one slot (slot_minutes) after opens")
        return self


class DepartmentPublic(BaseModel):
    """A department as stored."""

    code: str
    name: str
    slot_minutes: int
    capacity_per_slot: int
    opens: str
    closes: str
    booking_days_ahead: int
    timezone: str
    updated_at: datetime


class SlotPublic(BaseModel):
    """One slot of a day: places in total, taken and left."""

    start: datetime
    end: datetime
    capacity: int
    booked: int
    available: int


class SlotDay(BaseModel):
    """A department's whole day of slots (unpaginated)."""

    department: str
    date: date
    items: list[SlotPublic]


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


class VirtualVisitCreate(InputModel):
    """`POST /virtual-visits`: a video visit to an inpatient."""

    patient_external_id: Identifier
    visitor_name: Name
    visitor_phone: Phone
    start: HospitalTime


class VirtualVisitPublic(BaseModel):
    """A virtual visit; the visitor's phone masked."""

    id: str
    patient_external_id: str
    ward: str
    visitor_name: str
    visitor_phone: str | None
    start: datetime
    window_start: datetime
    window_end: datetime
    join_url: str
    status: str
    created_at: datetime
