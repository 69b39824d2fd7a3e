"""API models of screening status, compliance and the policy."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from shared.vocabulary import Category, ResultValue, ScreeningState, TestType


class ComplianceState(StrEnum):
    """Which persons a compliance page lists."""

    NONCOMPLIANT = "noncompliant"
    COMPLIANT = "compliant"


class StatusItem(BaseModel):
    """One required test: its state and the result that decided it."""

    test_type: TestType
    state: ScreeningState
    result_external_id: str | None = None
    specimen_collected_at: datetime | None = None
    result: ResultValue | None = None


class ScreeningStatusPublic(BaseModel):
    """A person's screening status against the active policy."""

    external_id: str
    category: Category
    compliant: bool
    evaluated_at: datetime
    items: list[StatusItem]


class Lack(BaseModel):
    """A required test that is not `ok`, and its state."""

    test_type: TestType
    state: ScreeningState


class ComplianceItem(BaseModel):
    """One person and what they lack."""

    external_id: str
    name: str
    category: Category
    department: str
    ward: str | None
    compliant: bool
    lacking: list[Lack]


class PolicyRequirementPublic(BaseModel):
    """One test a category needs and how long a result counts."""

    test_type: TestType
    within_days: float


class PolicyPublic(BaseModel):
    """The active screening policy."""

    source: str
    categories: dict[Category, list[PolicyRequirementPublic]]
    pooled_counts: dict[Category, bool] = Field(
        default_factory=dict,
        description="Per category: whether a pooled (混采) result counts for screening status.",
    )
