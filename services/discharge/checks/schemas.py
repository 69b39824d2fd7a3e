"""Request and response bodies of discharge checks (reasons and evidence: discharges too)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from shared.fields import Identifier
from shared.vocabulary import ResultStatus, TestType


class DischargeCheckCreate(BaseModel):
    """Ask whether a patient may be discharged now (nothing is discharged)."""

    model_config = ConfigDict(extra="forbid")

    patient_external_id: Identifier


class ReasonPublic(BaseModel):
    """Why a patient may not leave."""

    code: str
    test_type: TestType | None = Field(default=None, description="Absent for person-level reasons.")
    detail: str

    @model_serializer(mode="wrap")
    def _omit_absent_test_type(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        doc: dict[str, Any] = handler(self)
        if doc.get("test_type") is None:
            doc.pop("test_type", None)
        return doc


class EvidencePublic(BaseModel):
    """A result version the decision rests on, as the screening service answered it."""

    model_config = ConfigDict(extra="allow")

    result_external_id: str
    version: int
    test_type: TestType
    result: str | None
    status: ResultStatus
    specimen_collected_at: datetime
    resulted_at: datetime | None = None
    loinc: str | None = None
    values: Any = None
    used_as: str = Field(description="counting, pending, last_positive or negative_after_positive.")


class DischargeCheckPublic(BaseModel):
    """The stored answer to a discharge check."""

    check_id: int
    patient_external_id: str
    eligible: bool
    reasons: list[ReasonPublic]
    evidence: list[EvidencePublic]
    checked_at: datetime
    rule_version: str


class DischargeCheckRecord(BaseModel):
    """A stored discharge check, as the timeline and auditors read it."""

    check_id: int
    patient_external_id: str
    eligible: bool
    reasons: list[ReasonPublic]
    evidence: list[EvidencePublic]
    checked_at: datetime
    actor: str
