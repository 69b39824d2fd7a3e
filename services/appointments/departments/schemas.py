"""Department and slot models of the API, and stored departments shaped into answers."""

from __future__ import annotations

from datetime import date, datetime
from datetime import date as LocalDate  # `SlotDay.date` shadows `date` in its body
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, StrictInt, StringConstraints, model_validator

from services.appointments.domain.schedule import parse_clock_time
from services.appointments.inputs import InputModel
from services.appointments.models import Department
from shared.fields import Name

DepartmentKind = Literal["clinic", "testing"]
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class DepartmentIn(InputModel):
    """`PUT /departments/{code}`: a department's schedule in hospital local time."""

    name: Name
    slot_minutes: StrictInt = Field(15, ge=5, le=720)
    capacity_per_slot: StrictInt = Field(5, ge=0, le=10_000)
    opens: ClockTime = "08:00"
    closes: ClockTime = "17:00"
    booking_days_ahead: StrictInt = Field(7, ge=0, le=365)
    kind: DepartmentKind = Field(
        "clinic",
        description="`testing`: a collection site where residents book tests without signing in.",
    )

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
    kind: DepartmentKind
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
    # The department's booking horizon as of now: a later day cannot be booked yet (its
    # slots show the places, not an offer).
    last_bookable_day: LocalDate
    items: list[SlotPublic]


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
        kind=department.kind,  # the CHECK constraint keeps it known
        timezone=tz.key,
        updated_at=department.updated_at.astimezone(tz),
    )
