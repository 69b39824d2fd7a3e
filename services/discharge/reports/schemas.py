"""The discharge compliance report."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


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
    open_reviews: int = Field(
        default=0,
        description="Discharge reviews waiting for infection control now (whatever the"
        " period): discharges whose evidence a later result corrected or voided, or that a"
        " later positive put in doubt (GET /discharge-reviews?state=open).",
    )
    by_department: list[DepartmentTotals]
    by_day: list[DayTotals]
