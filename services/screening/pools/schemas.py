"""API models of specimens, pools, pool results and retests (inputs forbid unknown fields)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.fields import Identifier, Name, Timestamp
from shared.vocabulary import PoolState, ResultStatus, RetestState, TestType

# A pool's result reads like a nucleic-acid result.
PoolReading = Literal[PoolState.NEGATIVE, PoolState.POSITIVE, PoolState.INDETERMINATE]
PoolStatus = Literal[ResultStatus.FINAL, ResultStatus.CORRECTED, ResultStatus.ENTERED_IN_ERROR]


class SpecimenCreate(BaseModel):
    """A tube as the collection desk records it."""

    model_config = ConfigDict(extra="forbid")

    specimen_id: Identifier
    person_external_id: Identifier
    test_type: Literal[TestType.NUCLEIC_ACID] = TestType.NUCLEIC_ACID
    collected_at: Timestamp
    pool_id: Identifier | None = None
    booking_code: Identifier | None = None

    def content(self) -> dict[str, Any]:
        """What is stored (and compared on a re-send), UTC times."""
        return {
            "specimen_id": self.specimen_id,
            "person_external_id": self.person_external_id,
            "test_type": TestType(self.test_type).value,
            "collected_at": self.collected_at.astimezone(UTC),
            "pool_id": self.pool_id,
            "booking_code": self.booking_code,
        }


class SpecimenView(BaseModel):
    """A stored specimen."""

    specimen_id: str
    person_external_id: str
    test_type: str
    collected_at: datetime
    pool_id: str | None
    booking_code: str | None
    state: Literal["collected"] = "collected"


class PoolCreate(BaseModel):
    """A pool made of specimens already recorded."""

    model_config = ConfigDict(extra="forbid")

    pool_id: Identifier
    specimen_ids: Annotated[list[Identifier], Field(min_length=1, max_length=100)]


class PoolMember(BaseModel):
    """One specimen of a pool."""

    specimen_id: str
    person_external_id: str
    collected_at: datetime


class PoolView(BaseModel):
    """A pool with its members and the reading of its latest result."""

    pool_id: str
    size: int
    state: PoolState
    result_external_id: str | None
    members: list[PoolMember]


class PoolResultCreate(BaseModel):
    """A pool's result as the laboratory sends it (it knows the pool, not its members)."""

    model_config = ConfigDict(extra="forbid")

    external_id: Identifier
    result: PoolReading
    status: PoolStatus
    resulted_at: Timestamp | None = None
    performer: Name | None = None

    def content(self, pool_id: str) -> dict[str, Any]:
        """The stored content, normalised (UTC)."""
        return {
            "pool_id": pool_id,
            "external_id": self.external_id,
            "result": PoolState(self.result).value,
            "status": ResultStatus(self.status).value,
            "resulted_at": self.resulted_at.astimezone(UTC) if self.resulted_at else None,
            "performer": self.performer,
        }


class RetestView(BaseModel):
    """A member of a positive or indeterminate pool who needs an individual test."""

    person_external_id: str
    pool_id: str
    specimen_id: str
    opened_at: datetime
    state: RetestState
    closed_by_result_external_id: str | None = None
