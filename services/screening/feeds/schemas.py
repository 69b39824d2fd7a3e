"""Input and output models of the inbox API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.screening.schemas import ResultPublic, TestType
from shared.fields import Identifier


class InboxMatch(BaseModel):
    """Whose result a held item is (and, for an unmapped code, which test it is)."""

    model_config = ConfigDict(extra="forbid")

    person_external_id: Identifier
    test_type: TestType | None = Field(
        default=None,
        description="Only for items held for an unmapped code: the test the code stands for.",
    )


class InboxItemPublic(BaseModel):
    """A held (or since matched) feed result; the patient's name is masked."""

    id: int
    received_at: datetime
    channel: str
    reason: str
    detail: str
    state: str
    result_external_id: str
    person_identifiers: list[str]
    patient_name: str | None
    birth_year: str | None
    code: str | None
    test_type: str | None
    result: str | None
    status: str | None
    specimen_collected_at: datetime | None
    source_ref: str
    matched_at: datetime | None
    matched_by: str | None
    matched_person: str | None
    matched_version: int | None


class InboxMatchOutcome(BaseModel):
    """The matched item and the result stored from it."""

    item: InboxItemPublic
    result: ResultPublic

    @classmethod
    def of(cls, item: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
        """The answer document."""
        return {"item": item, "result": result}
