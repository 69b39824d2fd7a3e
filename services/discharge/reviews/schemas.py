"""Request and response bodies of discharge reviews."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.discharge.reviews.repository import ReviewRow
from shared.fields import FreeText
from shared.vocabulary import ReviewChange, ReviewResolution, ReviewState


class ReviewTriggerPublic(BaseModel):
    """The result version that put the discharge in doubt."""

    result_external_id: str
    version: int
    change: ReviewChange = Field(
        description="`corrected` / `voided`: a result in the discharge's evidence was corrected"
        " or entered in error; `late_positive`: a positive nucleic acid whose specimen was"
        " collected at most 14 days before the discharge arrived after it."
    )


class ReviewPublic(BaseModel):
    """A review of a discharge for infection control."""

    id: int
    discharge_id: int
    patient_external_id: str
    trigger: ReviewTriggerPublic
    opened_at: datetime
    state: ReviewState
    resolution: ReviewResolution | None = None
    note: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None


class ReviewClose(BaseModel):
    """How infection control closes a review."""

    model_config = ConfigDict(extra="forbid")

    resolution: ReviewResolution
    note: FreeText = Field(
        description="What was done or decided (required, not blank, at most 2,000 characters)."
    )

    @field_validator("note")
    @classmethod
    def _not_blank(cls, note: str) -> str:
        if not note.strip():
            raise ValueError("a note is required")
        return note.strip()


def review_public(row: ReviewRow) -> ReviewPublic:
    """A stored review as answered."""
    return ReviewPublic(
        id=row.id,
        discharge_id=row.discharge_id,
        patient_external_id=row.patient_external_id,
        trigger=ReviewTriggerPublic(
            result_external_id=row.result_external_id,
            version=row.version,
            change=ReviewChange(row.change),
        ),
        opened_at=row.opened_at,
        state=ReviewState(row.state),
        resolution=ReviewResolution(row.resolution) if row.resolution else None,
        note=row.note,
        closed_at=row.closed_at,
        closed_by=row.closed_by,
    )
