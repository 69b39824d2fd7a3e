"""Request and response bodies of discharges, and the auditors' filter over stored attempts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.discharge.checks.schemas import EvidencePublic, ReasonPublic
from shared.fields import FreeText, Identifier
from shared.vocabulary import Disposition, Outcome


class DischargeCreate(BaseModel):
    """Discharge a patient; `reason` is required for designated_hospital and death."""

    model_config = ConfigDict(extra="forbid")

    patient_external_id: Identifier
    disposition: Disposition
    reason: FreeText | None = Field(
        default=None, description="Why (required for designated_hospital and death)."
    )


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


@dataclass(frozen=True)
class DischargeFilter:
    """The auditors' filters over stored attempts: `from` inclusive, `to` exclusive."""

    from_: datetime | None = None
    to: datetime | None = None
    department: str | None = None
    outcome: Outcome | None = None
    patient_external_id: str | None = None
