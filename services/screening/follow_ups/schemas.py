"""API models of contact follow-up (inputs forbid unknown fields)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.screening.domain.follow_up import DEFAULT_DAYS, FollowUpState, Symptom
from services.screening.follow_ups.repository import CheckRow
from services.screening.follow_ups.service import FollowUp
from shared.fields import FreeText, Identifier, Name
from shared.masking import mask_name


class FollowUpCreate(BaseModel):
    """`POST /follow-ups`: who is followed up, after whose exposure, why, for how long."""

    model_config = ConfigDict(extra="forbid")

    person_external_id: Identifier
    index_external_id: Identifier | None = None
    reason: Name
    days: int = Field(default=DEFAULT_DAYS, ge=1, le=60, description="Default 14, today included.")


class ExposureFollowUps(BaseModel):
    """`POST /persons/{index}/exposures/follow-ups`: the contacts chosen from the list."""

    model_config = ConfigDict(extra="forbid")

    external_ids: Annotated[list[Identifier], Field(min_length=1, max_length=500)]


class CheckCreate(BaseModel):
    """`POST /follow-ups/{id}/checks`: one day's check."""

    model_config = ConfigDict(extra="forbid")

    date: date
    temperature_c: float = Field(ge=30, le=45)
    symptoms: Annotated[list[Symptom], Field(max_length=len(Symptom))] = []
    note: FreeText | None = None


class CancelBody(BaseModel):
    """`POST /follow-ups/{id}/cancel`: why."""

    model_config = ConfigDict(extra="forbid")

    reason: Name


class CheckPublic(BaseModel):
    """One recorded check."""

    date: date
    temperature_c: float
    symptoms: list[Symptom]
    note: str | None
    recorded_at: datetime
    recorded_by: str

    @classmethod
    def of(cls, row: CheckRow) -> CheckPublic:
        """A stored check as answered."""
        return cls(
            date=row.day,
            temperature_c=row.temperature_c,
            symptoms=[Symptom(s) for s in row.symptoms],
            note=row.note,
            recorded_at=row.recorded_at,
            recorded_by=row.recorded_by,
        )


class FollowUpPublic(BaseModel):
    """A follow-up with its checks; `missed_days`: days before today without a check."""

    id: int
    person_external_id: str
    name: str | None = Field(description="Masked; null for a contact not registered here.")
    index_external_id: str | None
    reason: str
    start: date
    end: date
    state: FollowUpState
    checks: list[CheckPublic]
    missed_days: int
    due_today: bool
    opened_at: datetime
    closed_at: datetime | None = None
    close_reason: str | None = None

    @classmethod
    def of(cls, follow_up: FollowUp) -> FollowUpPublic:
        """A follow-up as answered (name masked)."""
        row = follow_up.row
        return cls(
            id=row.id,
            person_external_id=row.person_external_id,
            name=mask_name(row.name),
            index_external_id=row.index_external_id,
            reason=row.reason,
            start=row.start,
            end=row.end,
            state=FollowUpState(row.state),
            checks=[CheckPublic.of(c) for c in follow_up.checks],
            missed_days=follow_up.missed_days,
            due_today=follow_up.due_today,
            opened_at=row.opened_at,
            closed_at=row.closed_at,
            close_reason=row.close_reason,
        )


class FollowUpListPublic(BaseModel):
    """A page of follow-ups."""

    items: list[FollowUpPublic]
    next_cursor: str | None = None
