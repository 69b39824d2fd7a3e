"""Tables: isolation of a person: automatic on a positive, by hand, released by two negatives."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Text
from sqlmodel import Field

from services.screening.table_base import BIG_ID, ScreeningTable
from shared.db import UtcDateTime


class IsolationEvent(ScreeningTable, table=True):
    """A person isolated or released; rows are only inserted, the newest one is the state."""

    __tablename__ = "isolation_event"
    __table_args__ = (Index("ix_isolation_event_person", "person_external_id", "id"),)

    id: int | None = Field(default=None, sa_column=Column(BIG_ID, primary_key=True))
    person_external_id: str = Field(
        sa_column=Column(String(64), ForeignKey("person.external_id"), nullable=False)
    )
    # isolated | released
    state: str = Field(sa_column=Column(String(12), nullable=False))
    # Why the person was isolated (a release repeats the isolation's reason and start).
    reason: str = Field(sa_column=Column(String(200), nullable=False))
    since: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    released_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    # The result version that isolated the person (automatic isolations only).
    result_external_id: str | None = Field(
        default=None, sa_column=Column(String(64), nullable=True)
    )
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    recorded_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    recorded_by: str = Field(sa_column=Column(String(200), nullable=False))


isolation_event_table = IsolationEvent.__table__  # type: ignore[attr-defined]
