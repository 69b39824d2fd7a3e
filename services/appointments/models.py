"""Tables of the appointments service (its own metadata; no other service reads them)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field

from services.appointments.domain.appointment_status import ACTIVE_STATUSES, AppointmentStatus
from services.appointments.table_base import AppointmentsTable
from shared.audit import define_audit_table
from shared.db import UtcDateTime
from shared.idempotency import define_idempotency_table


def _status_in(statuses: Iterable[AppointmentStatus]) -> str:
    return "status IN (" + ", ".join(f"'{s.value}'" for s in statuses) + ")"


_ACTIVE_SQL = _status_in(ACTIVE_STATUSES)


metadata = AppointmentsTable.metadata
audit_log = define_audit_table(metadata)
idempotency_key = define_idempotency_table(metadata)


def _utc(nullable: bool = False, index: bool = False) -> Column[datetime]:
    return Column(UtcDateTime(), nullable=nullable, index=index)


class Department(AppointmentsTable, table=True):
    """A department's slot grid, capacity and booking horizon (hospital local time)."""

    __tablename__ = "department"
    __table_args__ = (
        CheckConstraint("slot_minutes > 0", name="slot_minutes_positive"),
        CheckConstraint("capacity_per_slot >= 0", name="capacity_not_negative"),
        CheckConstraint("booking_days_ahead >= 0", name="horizon_not_negative"),
        CheckConstraint("kind IN ('clinic', 'testing')", name="kind_known"),
    )

    code: str = Field(sa_type=String(64), primary_key=True)
    name: str = Field(sa_type=String(200))
    slot_minutes: int
    capacity_per_slot: int
    opens: str = Field(sa_type=String(5))
    closes: str = Field(sa_type=String(5))
    booking_days_ahead: int
    # `testing`: a collection site residents may book a test at without signing in.
    kind: str = Field(
        default="clinic",
        sa_column=Column(String(16), nullable=False, default="clinic", server_default="clinic"),
    )
    created_at: datetime = Field(sa_column=_utc())
    updated_at: datetime = Field(sa_column=_utc())


class Slot(AppointmentsTable, table=True):
    """Places taken in one slot; created on first booking, counted by conditional UPDATE."""

    __tablename__ = "slot"
    __table_args__ = (
        UniqueConstraint("department_code", "slot_start"),
        CheckConstraint("booked >= 0", name="booked_not_negative"),
        CheckConstraint("booked <= capacity", name="booked_within_capacity"),
    )

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(sa_type=String(64), foreign_key="department.code")
    slot_start: datetime = Field(sa_column=_utc())
    slot_end: datetime = Field(sa_column=_utc())
    capacity: int
    booked: int = 0


class Appointment(AppointmentsTable, table=True):
    """A patient's booking of one slot; its status changes, the row is never deleted."""

    __tablename__ = "appointment"
    __table_args__ = (
        CheckConstraint(
            _status_in(AppointmentStatus),
            name="status_known",
        ),
        Index("ix_appointment_department_day", "department_code", "local_date", "slot_start"),
        Index("ix_appointment_patient", "patient_external_id", "local_date"),
        Index(
            "uq_appointment_active_patient_department_day",
            "patient_external_id",
            "department_code",
            "local_date",
            unique=True,
            postgresql_where=text(_ACTIVE_SQL),
            sqlite_where=text(_ACTIVE_SQL),
        ),
    )

    id: str = Field(sa_type=String(32), primary_key=True)
    booking_code: str = Field(sa_type=String(8), unique=True)
    department_code: str = Field(sa_type=String(64), foreign_key="department.code")
    slot_id: int = Field(sa_column=Column(Integer, ForeignKey("slot.id"), nullable=False))
    slot_start: datetime = Field(sa_column=_utc())
    slot_end: datetime = Field(sa_column=_utc())
    local_date: date
    patient_external_id: str = Field(sa_type=String(64))
    patient_name: str = Field(sa_type=String(200))
    phone: str | None = Field(default=None, sa_type=String(32))
    status: str = Field(sa_type=String(32))
    rescheduled_from: str | None = Field(
        default=None, sa_type=String(32), foreign_key="appointment.id"
    )
    created_by: str = Field(sa_type=String(200))
    created_at: datetime = Field(sa_column=_utc())
    status_changed_at: datetime = Field(sa_column=_utc())


class CheckIn(AppointmentsTable, table=True):
    """One check-in attempt at the door with its readings (append-only)."""

    __tablename__ = "check_in"
    __table_args__ = (
        Index("ix_check_in_department_at", "department_code", "at", "id"),
        Index("ix_check_in_patient_at", "patient_external_id", "at", "id"),
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    appointment_id: str = Field(sa_type=String(32), foreign_key="appointment.id", index=True)
    department_code: str = Field(sa_type=String(64))
    patient_external_id: str = Field(sa_type=String(64))
    patient_name: str = Field(sa_type=String(200))
    at: datetime = Field(sa_column=_utc())
    outcome: str = Field(sa_type=String(32))
    reasons: str = Field(sa_type=Text)
    temperature_c: float = Field(sa_type=Float)
    mask: bool
    # None: a scanned code failed verification (no colour was taken from it).
    health_code: str | None = Field(default=None, sa_type=String(10))
    risk_area_travel_14d: bool
    recorded_by: str = Field(sa_type=String(200))
    # `verified` (from a scanned payload) or `manual` (typed by the nurse).
    health_code_source: str = Field(default="manual", sa_type=String(16))


class WardWindow(AppointmentsTable, table=True):
    """Virtual visits taken in one ward's 30-minute window (same counting as slots)."""

    __tablename__ = "ward_window"
    __table_args__ = (
        UniqueConstraint("ward", "window_start"),
        CheckConstraint("booked >= 0", name="booked_not_negative"),
        CheckConstraint("booked <= capacity", name="booked_within_capacity"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ward: str = Field(sa_type=String(64))
    window_start: datetime = Field(sa_column=_utc())
    capacity: int
    booked: int = 0


class VirtualVisit(AppointmentsTable, table=True):
    """A video visit to an inpatient instead of an in-person ward visit."""

    __tablename__ = "virtual_visit"
    __table_args__ = (Index("ix_virtual_visit_ward_window", "ward", "window_start"),)

    id: str = Field(sa_type=String(32), primary_key=True)
    patient_external_id: str = Field(sa_type=String(64), index=True)
    ward: str = Field(sa_type=String(64))
    window_id: int = Field(sa_column=Column(Integer, ForeignKey("ward_window.id"), nullable=False))
    visitor_name: str = Field(sa_type=String(200))
    visitor_phone: str = Field(sa_type=String(32))
    start: datetime = Field(sa_column=_utc())
    window_start: datetime = Field(sa_column=_utc())
    window_end: datetime = Field(sa_column=_utc())
    join_url: str = Field(sa_type=String(500))
    status: str = Field(sa_type=String(16))
    created_by: str = Field(sa_type=String(200))
    created_at: datetime = Field(sa_column=_utc())
    status_changed_at: datetime = Field(sa_column=_utc())
