"""Tables: reports of positive nucleic acids to public health, with a deadline.

`public_health_report` is the durable outbox and the ledger at once: one row per report,
written in the transaction of the result version it reports, claimed (leased) and marked by
the delivery worker. Rows are never deleted: a delivered report stays as the ledger's record.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, String, text
from sqlmodel import Field

from services.screening.table_base import BIG_ID, ScreeningTable
from shared.db import UtcDateTime


class PublicHealthReport(ScreeningTable, table=True):
    """One report (initial, correction or cancel) of one result version to public health."""

    __tablename__ = "public_health_report"
    __table_args__ = (
        Index(
            "ix_public_health_report_pending",
            "next_attempt_at",
            postgresql_where=text("delivered_at IS NULL"),
            sqlite_where=text("delivered_at IS NULL"),
        ),
        Index("ix_public_health_report_result", "result_external_id", "id"),
        Index("ix_public_health_report_received", "received_at", "id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BIG_ID, primary_key=True))
    # The result version this report carries (one report per version at most).
    result_id: int = Field(
        sa_column=Column(BIG_ID, ForeignKey("screening_result.id"), nullable=False, unique=True)
    )
    result_external_id: str = Field(sa_column=Column(String(64), nullable=False))
    result_version: int = Field(sa_column=Column(Integer, nullable=False))
    person_external_id: str = Field(sa_column=Column(String(64), nullable=False))
    kind: str = Field(sa_column=Column(String(12), nullable=False))
    # When the result version reached WardGate; the deadline runs from here.
    received_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    due_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    # Due for (another) attempt at this time; while a worker holds it, its lease's end.
    next_attempt_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    # Where it went: `fhir` or `mllp` (set on delivery).
    channel: str | None = Field(default=None, sa_column=Column(String(8), nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(String(500), nullable=True))


report_table = PublicHealthReport.__table__  # type: ignore[attr-defined]
