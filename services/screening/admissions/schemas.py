"""API models of admission ends (sent by the discharge service's outbox worker)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.fields import Identifier, Timestamp
from shared.vocabulary import Disposition


class AdmissionEndCreate(BaseModel):
    """How an admission ended: one discharge (or audited exception) of the discharge service."""

    model_config = ConfigDict(extra="forbid")

    discharge_id: int = Field(ge=1, le=2**63 - 1, description="The discharge service's id.")
    patient_external_id: Identifier
    admitted_at: Timestamp | None = Field(description="The admission it ends (null: none known).")
    discharged_at: Timestamp
    disposition: Disposition
    outcome: Literal["discharged", "exception"]


class AdmissionEndPublic(BaseModel):
    """An admission end as stored (once per discharge id)."""

    discharge_id: int
    patient_external_id: str
    admitted_at: datetime | None
    discharged_at: datetime
    disposition: Disposition
    outcome: str
    recorded_at: datetime
