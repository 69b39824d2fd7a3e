"""What every feature's request models share: unknown fields refused, hospital times bounded."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

from shared.fields import Timestamp

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


class InputModel(BaseModel):
    """Base of every request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")
