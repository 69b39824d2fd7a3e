"""Input and output models of the inbox API, and how a held item is shown."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.screening.inbox.repository import InboxItem
from services.screening.results.schemas import ResultPublic
from shared.fields import Identifier
from shared.masking import mask_name
from shared.vocabulary import TestType


def item_view(item: InboxItem) -> dict[str, Any]:
    """An inbox item as listed: the patient's name masked, only the birth year shown."""
    content = item.content
    return {
        "id": item.id,
        "received_at": item.received_at,
        "channel": item.channel,
        "reason": item.reason,
        "detail": item.detail,
        "state": item.state,
        "result_external_id": item.result_external_id,
        "person_identifiers": item.person_identifiers,
        "patient_name": mask_name(item.patient_name),
        "birth_year": (item.birth_date or "")[:4] or None,
        "code": item.code,
        "test_type": content.get("test_type"),
        "result": content.get("result"),
        "status": content.get("status"),
        "specimen_collected_at": content.get("specimen_collected_at"),
        "source_ref": item.source_ref,
        "matched_at": item.matched_at,
        "matched_by": item.matched_by,
        "matched_person": item.matched_person,
        "matched_version": item.matched_version,
    }


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
    def of(cls, item: dict[str, Any], result: ResultPublic) -> dict[str, Any]:
        """The answer document."""
        return {"item": item, "result": result}
