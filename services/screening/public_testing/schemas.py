"""Models of the public result lookup."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

BookingCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{8}$")]
Last4 = Annotated[str, StringConstraints(pattern=r"^[0-9Xx]{4}$")]
LookupStateName = Literal["not_collected", "pending", "negative", "positive", "indeterminate"]


class LookupIn(BaseModel):
    """`POST /test-results/lookup`: the booking code and the ID number's last four."""

    model_config = ConfigDict(extra="forbid")

    booking_code: BookingCode
    id_number_last4: Last4 = Field(description="The last four characters of the ID number.")


class LookupAnswer(BaseModel):
    """Nothing but the state, its times and a masked name."""

    state: LookupStateName
    collected_at: datetime | None = None
    resulted_at: datetime | None = None
    name_masked: str
