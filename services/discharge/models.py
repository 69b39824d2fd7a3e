"""Tables of the discharge service (its own metadata; no other service reads them).

Checks and discharge attempts are append-only (the migration installs triggers refusing
UPDATE and DELETE): each keeps the evidence exactly as it was seen and the rule version.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlmodel import Field

from services.discharge.table_base import DischargeTable
from shared.audit import define_audit_table
from shared.db import UtcDateTime
from shared.idempotency import define_idempotency_table
from shared.vocabulary import Disposition, Outcome


def _one_of(column: str, codes: Iterable[str]) -> str:
    """`column IN ('a', 'b')`: a CHECK or index condition over codes of the vocabulary."""
    return f"{column} IN ({', '.join(repr(str(code)) for code in codes)})"


# The outcomes that end an admission: at most one per patient and admission.
FINAL_OUTCOMES_SQL = _one_of("outcome", (Outcome.DISCHARGED, Outcome.EXCEPTION))


def _id_column() -> Any:
    return Column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)


class DischargeCheck(DischargeTable, table=True):
    """One discharge check: the decision, its reasons and evidence as seen."""

    __tablename__ = "discharge_check"

    id: int | None = Field(default=None, sa_column=_id_column())
    patient_external_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    department: str | None = Field(default=None, sa_column=Column(String(200)))
    eligible: bool
    reasons: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    evidence: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    rule_version: str = Field(sa_column=Column(String(200), nullable=False))
    actor: str = Field(sa_column=Column(String(200), nullable=False))
    checked_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False, index=True))


class Discharge(DischargeTable, table=True):
    """One discharge attempt: discharged, blocked or an exception, never changed after."""

    __tablename__ = "discharge"
    __table_args__ = (
        CheckConstraint(_one_of("outcome", Outcome), name="outcome_known"),
        CheckConstraint(_one_of("disposition", Disposition), name="disposition_known"),
        Index(
            "uq_discharge_one_per_admission",
            "patient_external_id",
            "admission_key",
            unique=True,
            postgresql_where=text(FINAL_OUTCOMES_SQL),
            sqlite_where=text(FINAL_OUTCOMES_SQL),
        ),
    )

    id: int | None = Field(default=None, sa_column=_id_column())
    patient_external_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    # The admission this discharge ends: the person's admitted_at as screening returned it.
    admission_key: str = Field(sa_column=Column(String(64), nullable=False))
    department: str | None = Field(default=None, sa_column=Column(String(200), index=True))
    ward: str | None = Field(default=None, sa_column=Column(String(200)))
    disposition: str = Field(sa_column=Column(String(32), nullable=False))
    outcome: str = Field(sa_column=Column(String(16), nullable=False, index=True))
    reason: str | None = Field(default=None, sa_column=Column(Text))
    reasons: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    evidence: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    rule_version: str = Field(sa_column=Column(String(200), nullable=False))
    actor: str = Field(sa_column=Column(String(200), nullable=False))
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False, index=True))
    # The hospital-local calendar day of created_at (for the by-day report on every backend).
    hospital_day: date = Field(sa_column=Column(Date, nullable=False, index=True))


class DischargeEvidence(DischargeTable, table=True):
    """The results a discharge rests on, one row each (queryable by the compliance report)."""

    __tablename__ = "discharge_evidence"
    # Which discharges relied on a result (discharge reviews, when it is corrected or voided).
    __table_args__ = (Index("ix_discharge_evidence_result", "result_external_id"),)

    discharge_id: int = Field(
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"),
            ForeignKey("discharge.id"),
            primary_key=True,
        )
    )
    position: int = Field(sa_column=Column(Integer, primary_key=True))
    result_external_id: str = Field(sa_column=Column(String(64), nullable=False))
    version: int
    test_type: str = Field(sa_column=Column(String(32), nullable=False))
    result: str | None = Field(default=None, sa_column=Column(String(32)))
    status: str = Field(sa_column=Column(String(32), nullable=False))
    specimen_collected_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    used_as: str = Field(sa_column=Column(String(32), nullable=False))


metadata = DischargeTable.metadata
audit_log = define_audit_table(metadata)
idempotency_key = define_idempotency_table(metadata)


class AdmissionEndOutbox(DischargeTable, table=True):
    """A discharge or exception waiting for (or past) delivery to the screening service.

    Written in the transaction that stores the discharge, so none is lost and none is sent
    that did not commit; the event sent is read from the (append-only) discharge row, and
    screening applies each `discharge_id` once however often it arrives.
    """

    __tablename__ = "admission_end_outbox"
    __table_args__ = (
        Index(
            "ix_admission_end_outbox_pending",
            "next_attempt_at",
            postgresql_where=text("delivered_at IS NULL"),
            sqlite_where=text("delivered_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, sa_column=_id_column())
    discharge_id: int = Field(
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"),
            ForeignKey("discharge.id"),
            nullable=False,
            unique=True,
        )
    )
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    next_attempt_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    last_error: str | None = Field(default=None, sa_column=Column(String(500)))


outbox_table = AdmissionEndOutbox.__table__  # type: ignore[attr-defined]


# Feature packages' tables: imported so that this metadata is whole wherever it is used.
from services.discharge.reviews import tables as _reviews_tables  # noqa: E402, F401
