"""Tables of the screening service (its own metadata; no other service reads them): persons,
result versions, the alert outbox, the feed inbox and the ledger of HL7 messages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field

from services.screening.table_base import BIG_ID, ScreeningTable
from shared.audit import define_audit_table
from shared.db import UtcDateTime

_BIG_ID = BIG_ID


metadata = ScreeningTable.metadata
audit_log = define_audit_table(metadata)


class Person(ScreeningTable, table=True):
    """Someone the hospital screens: staff, an inpatient, an outpatient or a caregiver."""

    __tablename__ = "person"
    __table_args__ = (
        Index("ix_person_category_department", "category", "department", "external_id"),
        Index("ix_person_department", "department"),
        Index("ix_person_ward", "ward"),
        Index("ix_person_patient_external_id", "patient_external_id"),
    )

    external_id: str = Field(sa_column=Column(String(64), primary_key=True))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    category: str = Field(sa_column=Column(String(16), nullable=False))
    department: str = Field(sa_column=Column(String(64), nullable=False))
    ward: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    admitted_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    patient_external_id: str | None = Field(
        default=None,
        sa_column=Column(String(64), ForeignKey("person.external_id"), nullable=True),
    )
    phone: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    id_number: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class ScreeningResult(ScreeningTable, table=True):
    """One version of a screening result; rows are only ever inserted."""

    __tablename__ = "screening_result"
    __table_args__ = (
        UniqueConstraint("external_id", "version"),
        Index(
            "ix_screening_result_person_test",
            "person_external_id",
            "test_type",
            "specimen_collected_at",
        ),
        # By time received: the result change feed and GET /results.
        Index("ix_screening_result_recorded", "recorded_at", "id"),
    )

    id: int | None = Field(default=None, sa_column=Column(_BIG_ID, primary_key=True))
    external_id: str = Field(sa_column=Column(String(64), nullable=False))
    version: int = Field(sa_column=Column(Integer, nullable=False))
    person_external_id: str = Field(
        sa_column=Column(String(64), ForeignKey("person.external_id"), nullable=False)
    )
    test_type: str = Field(sa_column=Column(String(16), nullable=False))
    result: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    specimen_collected_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    resulted_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    loinc: str = Field(sa_column=Column(String(16), nullable=False))
    values: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    performer: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    replaces_version: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    content_hash: str = Field(sa_column=Column(String(64), nullable=False))
    recorded_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    recorded_by: str = Field(sa_column=Column(String(200), nullable=False))
    # `pooled` versions are made only by a pool's result, one for each of its members.
    method: str = Field(
        default="individual",
        sa_column=Column(
            String(12), nullable=False, default="individual", server_default="individual"
        ),
    )
    pool_id: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))


class AlertOutbox(ScreeningTable, table=True):
    """A positive-result alert waiting for (or past) delivery to the webhooks."""

    __tablename__ = "alert_outbox"
    __table_args__ = (
        Index(
            "ix_alert_outbox_pending",
            "next_attempt_at",
            postgresql_where=text("delivered_at IS NULL"),
            sqlite_where=text("delivered_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, sa_column=Column(_BIG_ID, primary_key=True))
    result_id: int = Field(
        sa_column=Column(_BIG_ID, ForeignKey("screening_result.id"), nullable=False, unique=True)
    )
    payload: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    next_attempt_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    delivered_to: str = Field(default="", sa_column=Column(Text, nullable=False))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    last_error: str | None = Field(default=None, sa_column=Column(String(500), nullable=True))


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


class AdmissionEnd(ScreeningTable, table=True):
    """How an admission ended, as the discharge service recorded it; rows are only inserted.

    The person's current admission is the one with their `admitted_at`: a later `admitted_at`
    (a new admission) has no end until the discharge service sends one.
    """

    __tablename__ = "admission_end"
    __table_args__ = (
        Index(
            "ix_admission_end_person_admission", "person_external_id", "admitted_at", unique=True
        ),
    )

    id: int | None = Field(default=None, sa_column=Column(_BIG_ID, primary_key=True))
    # The discharge service's id of the discharge: each is applied once, however often sent.
    discharge_id: int = Field(sa_column=Column(_BIG_ID, nullable=False, unique=True))
    person_external_id: str = Field(
        sa_column=Column(String(64), ForeignKey("person.external_id"), nullable=False)
    )
    admitted_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    discharged_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    disposition: str = Field(sa_column=Column(String(32), nullable=False))
    outcome: str = Field(sa_column=Column(String(16), nullable=False))
    recorded_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    recorded_by: str = Field(sa_column=Column(String(200), nullable=False))


person_table = Person.__table__  # type: ignore[attr-defined]
result_table = ScreeningResult.__table__  # type: ignore[attr-defined]
outbox_table = AlertOutbox.__table__  # type: ignore[attr-defined]
inbox_table = FeedInboxItem.__table__  # type: ignore[attr-defined]
message_table = FeedMessage.__table__  # type: ignore[attr-defined]
admission_end_table = AdmissionEnd.__table__  # type: ignore[attr-defined]


# Feature packages' tables: imported so that this metadata is whole wherever it is used.
from services.screening.follow_ups import tables as _follow_ups_tables  # noqa: E402, F401
from services.screening.isolation import tables as _isolation_tables  # noqa: E402, F401
from services.screening.pools import tables as _pools_tables  # noqa: E402, F401
from services.screening.public_health import tables as _public_health_tables  # noqa: E402, F401
