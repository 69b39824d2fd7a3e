"""Request and response bodies of the discharge service."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from shared.fields import FreeText, Identifier

Disposition = Literal["home", "transfer", "designated_hospital", "death"]
Outcome = Literal["discharged", "blocked", "exception"]


class DischargeCheckCreate(BaseModel):
    """Ask whether a patient may be discharged now (nothing is discharged)."""

    model_config = ConfigDict(extra="forbid")

    patient_external_id: Identifier


class DischargeCreate(BaseModel):
    """Discharge a patient; `reason` is required for designated_hospital and death."""

    model_config = ConfigDict(extra="forbid")

    patient_external_id: Identifier
    disposition: Disposition
    reason: FreeText | None = Field(
        default=None, description="Why (required for designated_hospital and death)."
    )


class ReasonPublic(BaseModel):
    """Why a patient may not leave."""

    code: str
    test_type: str | None = Field(default=None, description="Absent for person-level reasons.")
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
    test_type: str
    result: str | None
    status: str
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


class DischargePublic(BaseModel):
    """A stored discharge attempt with its evidence exactly as seen."""

    id: int
    patient_external_id: str
    department: str | None
    ward: str | None
    admission_key: str
    disposition: Disposition
    outcome: Outcome
    reason: str | None
    reasons: list[ReasonPublic]
    evidence: list[EvidencePublic]
    actor: str
    created_at: datetime
    rule_version: str


class DischargeTotals(BaseModel):
    """Counts of one slice of the report."""

    total: int
    discharged: int
    exceptions: int
    blocked_attempts: int


class DepartmentTotals(DischargeTotals):
    """Counts for one department (null: the person's department was not known)."""

    department: str | None


class DayTotals(DischargeTotals):
    """Counts for one hospital-local calendar day."""

    day: date


class DischargeCompliance(DischargeTotals):
    """The discharge compliance report for a period."""

    model_config = ConfigDict(populate_by_name=True)

    from_: datetime | None = Field(default=None, alias="from", serialization_alias="from")
    to: datetime | None = None
    discharged_without_evidence: int = Field(
        description="Discharges lacking a negative nucleic acid, IgM or IgG result in their"
        " stored evidence: computed, and always 0 unless the gate was bypassed."
    )
    by_department: list[DepartmentTotals]
    by_day: list[DayTotals]
