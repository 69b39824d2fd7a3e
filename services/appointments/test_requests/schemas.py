"""Models of the public test request and of the desk's booking-code read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from services.appointments.inputs import HospitalTime, InputModel
from shared.fields import Identifier, Name, Phone

IdNumber = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=4, max_length=32, pattern=r"^[0-9A-Za-z]+$"
    ),
]
BookingCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{8}$")]


class TestRequestIn(InputModel):
    """`POST /test-requests`: a resident asks for a nucleic-acid test at a collection site."""

    __test__ = False  # not a pytest class

    site: Identifier = Field(description="A department of kind `testing`.")
    slot_start: HospitalTime
    name: Name
    id_number: IdNumber = Field(description="Goes to screening's person only (masked there).")
    phone: Phone


class TestRequestPublic(BaseModel):
    """The booking a resident shows at the collection site."""

    __test__ = False

    booking_code: str
    site: str
    slot_start: datetime
    slot_end: datetime


class BookedTest(BaseModel):
    """`GET /test-requests/{booking_code}`: who the booking is for (the collection desk)."""

    booking_code: str
    site: str
    person_external_id: str
    name: str
    slot_start: datetime
    slot_end: datetime
    status: str
