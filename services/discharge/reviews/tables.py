"""Tables: reviews of discharges whose evidence a later result changed, and the feed cursor.

A review is opened at most once per (discharge, result, version) (a unique constraint), so
re-reading the feed after a restart, or two processes following it, never opens one twice.
Closing is one conditional UPDATE (`WHERE state = 'open'`): a review is closed once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field

from services.discharge.table_base import BIG_ID, DischargeTable
from shared.db import UtcDateTime
from shared.vocabulary import ReviewChange, ReviewResolution, ReviewState


def _one_of(column: str, codes: type[ReviewChange | ReviewState | ReviewResolution]) -> str:
    return f"{column} IN ({', '.join(repr(str(code.value)) for code in codes)})"


class DischargeReview(DischargeTable, table=True):
    """A discharge that a later result version put in doubt, for infection control."""

    __tablename__ = "discharge_review"
    __table_args__ = (
        UniqueConstraint("discharge_id", "result_external_id", "version"),
        CheckConstraint(_one_of("change", ReviewChange), name="change_known"),
        CheckConstraint(_one_of("state", ReviewState), name="state_known"),
        CheckConstraint(
            f"resolution IS NULL OR {_one_of('resolution', ReviewResolution)}",
            name="resolution_known",
        ),
        Index("ix_discharge_review_state", "state", "id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BIG_ID, primary_key=True))
    discharge_id: int = Field(sa_column=Column(BIG_ID, ForeignKey("discharge.id"), nullable=False))
    patient_external_id: str = Field(sa_column=Column(String(64), nullable=False))
    result_external_id: str = Field(sa_column=Column(String(64), nullable=False))
    version: int = Field(sa_column=Column(Integer, nullable=False))
    change: str = Field(sa_column=Column(String(16), nullable=False))
    opened_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    # When the version reached screening (the feed's time): the lag is opened_at minus this.
    result_recorded_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    state: str = Field(sa_column=Column(String(8), nullable=False))
    resolution: str | None = Field(default=None, sa_column=Column(String(32)))
    note: str | None = Field(default=None, sa_column=Column(Text))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    closed_by: str | None = Field(default=None, sa_column=Column(String(200)))


class ResultFeedCursor(DischargeTable, table=True):
    """How far the follower has applied screening's result change feed (one row per feed)."""

    __tablename__ = "result_feed_cursor"

    feed: str = Field(sa_column=Column(String(32), primary_key=True))
    # The newest `recorded_at` applied (screening's clock).
    high_water: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    # The next round reads from here: every version received before it has been applied.
    settled_until: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


review_table = DischargeReview.__table__  # type: ignore[attr-defined]
cursor_table = ResultFeedCursor.__table__  # type: ignore[attr-defined]
