"""All SQL of the compliance report: counts over the stored attempts (reads only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlmodel import Session, col

from services.discharge.discharges.repository import matching
from services.discharge.discharges.schemas import DischargeFilter
from services.discharge.domain.discharge_rule import COUNTING, GATED_TESTS
from services.discharge.models import Discharge, DischargeEvidence
from shared.vocabulary import Outcome, ResultValue


@dataclass(frozen=True)
class Totals:
    """Counts of one slice: every attempt, and by outcome."""

    total: int
    discharged: int
    exceptions: int
    blocked_attempts: int


@dataclass(frozen=True)
class DepartmentCounts:
    """The totals of one department (None: not known)."""

    department: str | None
    totals: Totals


@dataclass(frozen=True)
class DayCounts:
    """The totals of one hospital-local day."""

    day: date
    totals: Totals


@dataclass(frozen=True)
class ComplianceCounts:
    """Everything the report counts for a period."""

    totals: Totals
    discharged_without_evidence: int
    by_department: list[DepartmentCounts]
    by_day: list[DayCounts]


def _totals_columns() -> list[Any]:
    outcome = col(Discharge.outcome)
    return [
        func.count().label("total"),
        func.sum(case((outcome == Outcome.DISCHARGED, 1), else_=0)).label("discharged"),
        func.sum(case((outcome == Outcome.EXCEPTION, 1), else_=0)).label("exceptions"),
        func.sum(case((outcome == Outcome.BLOCKED, 1), else_=0)).label("blocked_attempts"),
    ]


def _totals(row: Any) -> Totals:
    return Totals(
        total=int(row.total or 0),
        discharged=int(row.discharged or 0),
        exceptions=int(row.exceptions or 0),
        blocked_attempts=int(row.blocked_attempts or 0),
    )


def _has_negative(test_type: str) -> Any:
    return exists().where(
        col(DischargeEvidence.discharge_id) == col(Discharge.id),
        col(DischargeEvidence.test_type) == test_type,
        col(DischargeEvidence.result) == ResultValue.NEGATIVE,
        col(DischargeEvidence.used_as) == COUNTING,
    )


def discharged_without_evidence(session: Session, filters: DischargeFilter) -> int:
    """Discharges whose stored evidence lacks a counting negative of any gated test."""
    lacking = [~_has_negative(t) for t in GATED_TESTS]
    query = select(func.count()).where(
        *matching(filters),
        col(Discharge.outcome) == Outcome.DISCHARGED,
        or_(*lacking),
    )
    return int(session.execute(query).scalar_one())


def compliance_counts(session: Session, filters: DischargeFilter) -> ComplianceCounts:
    """Totals, by department and by hospital-local day, for the period."""
    where = and_(True, *matching(filters))
    overall = session.execute(select(*_totals_columns()).where(where)).one()
    department = col(Discharge.department)
    by_department = session.execute(
        select(department, *_totals_columns())
        .where(where)
        .group_by(department)
        .order_by(department.nulls_last())
    ).all()
    day = col(Discharge.hospital_day)
    by_day = session.execute(
        select(day, *_totals_columns()).where(where).group_by(day).order_by(day)
    ).all()
    return ComplianceCounts(
        totals=_totals(overall),
        discharged_without_evidence=discharged_without_evidence(session, filters),
        by_department=[DepartmentCounts(r.department, _totals(r)) for r in by_department],
        by_day=[DayCounts(_as_date(r.hospital_day), _totals(r)) for r in by_day],
    )


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
