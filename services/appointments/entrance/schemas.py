"""Entrance models of the API: walk-ins, arrivals found at the door, the day's summary."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from services.appointments.bookings.schemas import AppointmentPublic
from services.appointments.check_ins.schemas import CheckInResult, EntryReadingsIn
from shared.fields import Identifier, Name, Phone


class WalkInCreate(EntryReadingsIn):
    """`POST /entrance/walk-ins`: a visitor without a booking, and the door's readings."""

    department: Identifier
    patient_name: Name
    patient_external_id: Identifier | None = Field(
        default=None,
        description="The HIS patient id when known; else a `WALKIN-...` id is made up",
    )
    phone: Phone | None = None


class WalkInResult(BaseModel):
    """The slot booked for the walk-in and the door's decision."""

    appointment: AppointmentPublic
    check_in: CheckInResult


class ArrivalWindowPublic(BaseModel):
    """When the appointment may check in, and whether it may now."""

    opens: datetime
    closes: datetime
    state: str = Field(description="`not_yet`, `open` or `over`")


class ArrivalPublic(BaseModel):
    """An appointment found at the door, with its department's name and arrival window."""

    appointment: AppointmentPublic
    department_name: str
    arrival_window: ArrivalWindowPublic


class OutcomeCounts(BaseModel):
    """Check-in attempts by outcome."""

    admitted: int = 0
    redirected_fever_clinic: int = 0
    refused: int = 0


class SourceCounts(BaseModel):
    """Check-in attempts by where the health-code colour came from."""

    verified: int = 0
    manual: int = 0


class HourCounts(OutcomeCounts):
    """Attempts of one hour of the hospital-local day (`hour` 0-23)."""

    hour: int


class DepartmentCounts(BaseModel):
    """A department's appointments of the day: held, arrived, not yet come."""

    department: str
    booked: int = Field(description="Appointments of the day not cancelled or rescheduled")
    arrived: int = Field(description="Checked in, sent to the fever clinic, or completed")
    not_yet: int = Field(description="Still booked: not yet admitted nor redirected")


class EntranceSummary(BaseModel):
    """`GET /entrance/summary`: the door's day in hospital local time."""

    date: date
    by_outcome: OutcomeCounts
    by_source: SourceCounts
    fever: int = Field(description="Attempts with a temperature at or above the fever threshold")
    by_hour: list[HourCounts]
    by_department: list[DepartmentCounts]
