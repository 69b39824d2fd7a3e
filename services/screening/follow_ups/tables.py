"""Tables: contact follow-up: daily checks of the exposed for 14 days."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field

from services.screening.table_base import BIG_ID, ScreeningTable
from shared.db import UtcDateTime


class FollowUp(ScreeningTable, table=True):
    """One contact followed up from `start` to `end` (hospital local dates, inclusive)."""

    __tablename__ = "follow_up"
    __table_args__ = (
        # One active follow-up per person: a second one extends the first (re-exposure).
        Index(
            "ix_follow_up_one_active",
            "person_external_id",
            unique=True,
            postgresql_where=text("state = 'active'"),
            sqlite_where=text("state = 'active'"),
        ),
        Index("ix_follow_up_state", "state", "id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BIG_ID, primary_key=True))
    # Not a foreign key: a contact on an exposure list may be known only to appointments.
    person_external_id: str = Field(sa_column=Column(String(64), nullable=False))
    index_external_id: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    reason: str = Field(sa_column=Column(String(200), nullable=False))
    start: date = Field(sa_column=Column(Date, nullable=False))
    end: date = Field(sa_column=Column(Date, nullable=False))
    # active | completed | converted | cancelled
    state: str = Field(sa_column=Column(String(12), nullable=False))
    opened_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    opened_by: str = Field(sa_column=Column(String(200), nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    closed_by: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    close_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class FollowUpCheck(ScreeningTable, table=True):
    """One day's check of a followed-up contact; rows are only inserted."""

    __tablename__ = "follow_up_check"
    __table_args__ = (UniqueConstraint("follow_up_id", "day"),)

    id: int | None = Field(default=None, sa_column=Column(BIG_ID, primary_key=True))
    follow_up_id: int = Field(sa_column=Column(BIG_ID, ForeignKey("follow_up.id"), nullable=False))
    day: date = Field(sa_column=Column(Date, nullable=False))
    temperature_c: float = Field(sa_column=Column(Float, nullable=False))
    symptoms: list[Any] = Field(sa_column=Column(JSON, nullable=False))
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    recorded_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    recorded_by: str = Field(sa_column=Column(String(200), nullable=False))


follow_up_table = FollowUp.__table__  # type: ignore[attr-defined]
follow_up_check_table = FollowUpCheck.__table__  # type: ignore[attr-defined]
