"""Tables of the HIS/LIS feeds: the inbox of held results and the ledger of HL7 messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, String, Text, text
from sqlmodel import Field

from services.screening.models import ScreeningTable
from shared.db import UtcDateTime

_BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


class FeedInboxItem(ScreeningTable, table=True):
    """A feed result that could not be stored yet: unknown person or unmapped code."""

    __tablename__ = "feed_inbox"
    __table_args__ = (
        # The same observation with the same content is held once, however often it is sent.
        Index("ix_feed_inbox_result_content", "result_external_id", "content_hash", unique=True),
        Index("ix_feed_inbox_state", "state", "id"),
        Index(
            "ix_feed_inbox_held_person",
            "person_key",
            postgresql_where=text("state = 'held'"),
            sqlite_where=text("state = 'held'"),
        ),
    )

    id: int | None = Field(default=None, sa_column=Column(_BIG_ID, primary_key=True))
    received_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    channel: str = Field(sa_column=Column(String(8), nullable=False))
    reason: str = Field(sa_column=Column(String(32), nullable=False))
    detail: str = Field(sa_column=Column(String(500), nullable=False))
    state: str = Field(sa_column=Column(String(16), nullable=False))
    result_external_id: str = Field(sa_column=Column(String(64), nullable=False))
    # The identifier the person is expected under (auto-matched when registered).
    person_key: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    person_identifiers: list[str] = Field(sa_column=Column(JSON, nullable=False))
    patient_name: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    birth_date: str | None = Field(default=None, sa_column=Column(String(10), nullable=True))
    code: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    content_hash: str = Field(sa_column=Column(String(64), nullable=False))
    source_ref: str = Field(sa_column=Column(String(300), nullable=False))
    recorded_by: str = Field(sa_column=Column(String(200), nullable=False))
    matched_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    matched_by: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    matched_person: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    matched_version: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))


class FeedMessage(ScreeningTable, table=True):
    """An accepted HL7 message by sender and control id, with the ACK it was answered with."""

    __tablename__ = "feed_message"
    __table_args__ = (Index("ix_feed_message_sender_control", "sender", "control_id", unique=True),)

    id: int | None = Field(default=None, sa_column=Column(_BIG_ID, primary_key=True))
    sender: str = Field(sa_column=Column(String(200), nullable=False))
    control_id: str = Field(sa_column=Column(String(200), nullable=False))
    fingerprint: str = Field(sa_column=Column(String(64), nullable=False))
    ack: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    recorded_by: str = Field(sa_column=Column(String(200), nullable=False))


inbox_table = FeedInboxItem.__table__  # type: ignore[attr-defined]
message_table = FeedMessage.__table__  # type: ignore[attr-defined]
