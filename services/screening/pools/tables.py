"""Tables: specimens, pools of up to ten swabs, their results and the retests they open."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlmodel import Field

from services.screening.table_base import BIG_ID, ScreeningTable
from shared.db import UtcDateTime


class Pool(ScreeningTable, table=True):
    """A tube of up to `WARDGATE_POOL_MAX` swabs; locked while its result is applied."""

    __tablename__ = "pool"

    pool_id: str = Field(sa_column=Column(String(64), primary_key=True))
    size: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    # open | negative | positive | indeterminate (the latest counting result's reading)
    state: str = Field(sa_column=Column(String(16), nullable=False))
    result_external_id: str | None = Field(
        default=None, sa_column=Column(String(64), nullable=True)
    )
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class Specimen(ScreeningTable, table=True):
    """One tube (its barcode id) collected from a person; at most one pool. Only inserted,
    then given a pool once."""

    __tablename__ = "specimen"
    __table_args__ = (
        Index("ix_specimen_pool", "pool_id"),
        Index("ix_specimen_booking_code", "booking_code"),
        Index("ix_specimen_person", "person_external_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BIG_ID, primary_key=True))
    specimen_id: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    person_external_id: str = Field(
        sa_column=Column(String(64), ForeignKey("person.external_id"), nullable=False)
    )
    test_type: str = Field(sa_column=Column(String(16), nullable=False))
    collected_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    pool_id: str | None = Field(
        default=None, sa_column=Column(String(64), ForeignKey("pool.pool_id"), nullable=True)
    )
    booking_code: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    recorded_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    recorded_by: str = Field(sa_column=Column(String(200), nullable=False))


class PoolResult(ScreeningTable, table=True):
    """One version of a pool's result as the laboratory sent it; rows are only inserted."""

    __tablename__ = "pool_result"
    __table_args__ = (
        UniqueConstraint("external_id", "version"),
        Index("ix_pool_result_pool", "pool_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BIG_ID, primary_key=True))
    pool_id: str = Field(sa_column=Column(String(64), ForeignKey("pool.pool_id"), nullable=False))
    external_id: str = Field(sa_column=Column(String(64), nullable=False))
    version: int = Field(sa_column=Column(Integer, nullable=False))
    result: str = Field(sa_column=Column(String(16), nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    resulted_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    performer: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    content_hash: str = Field(sa_column=Column(String(64), nullable=False))
    recorded_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    recorded_by: str = Field(sa_column=Column(String(200), nullable=False))


class Retest(ScreeningTable, table=True):
    """A member of a positive or indeterminate pool who needs an individual test."""

    __tablename__ = "retest"
    __table_args__ = (
        Index("ix_retest_state", "state", "id"),
        Index("ix_retest_person_state", "person_external_id", "state"),
    )

    id: int | None = Field(default=None, sa_column=Column(BIG_ID, primary_key=True))
    specimen_id: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    person_external_id: str = Field(
        sa_column=Column(String(64), ForeignKey("person.external_id"), nullable=False)
    )
    pool_id: str = Field(sa_column=Column(String(64), nullable=False))
    # The newest collection time of the pool's specimens: an individual result counts for
    # the retest only when its specimen was collected after it.
    pool_collected_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    opened_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    state: str = Field(sa_column=Column(String(8), nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    closed_by_result_external_id: str | None = Field(
        default=None, sa_column=Column(String(64), nullable=True)
    )


pool_table = Pool.__table__  # type: ignore[attr-defined]
specimen_table = Specimen.__table__  # type: ignore[attr-defined]
pool_result_table = PoolResult.__table__  # type: ignore[attr-defined]
retest_table = Retest.__table__  # type: ignore[attr-defined]
