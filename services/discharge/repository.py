"""All SQL of the discharge service. Rows are only ever inserted; repositories flush only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from services.discharge.models import Discharge, DischargeCheck, DischargeEvidence

GATED_TESTS = ("nucleic_acid", "antibody_igm", "antibody_igg")
# Rows per page of a CSV export (~1 KB each at worst with a 2,000-character reason).
EXPORT_PAGE_ROWS = 500


class AlreadyDischarged(Exception):
    """The admission already ended with a discharge or an exception."""


@dataclass(frozen=True)
class DischargeFilter:
    """The auditors' filters: `from` inclusive, `to` exclusive."""

    from_: datetime | None = None
    to: datetime | None = None
    department: str | None = None
    outcome: str | None = None
    patient_external_id: str | None = None

    def clauses(self) -> list[ColumnElement[bool]]:
        """The WHERE clauses these filters stand for."""
        clauses: list[ColumnElement[bool]] = []
        if self.from_ is not None:
            clauses.append(col(Discharge.created_at) >= self.from_)
        if self.to is not None:
            clauses.append(col(Discharge.created_at) < self.to)
        if self.department is not None:
            clauses.append(col(Discharge.department) == self.department)
        if self.outcome is not None:
            clauses.append(col(Discharge.outcome) == self.outcome)
        if self.patient_external_id is not None:
            clauses.append(col(Discharge.patient_external_id) == self.patient_external_id)
        return clauses


_INSERT_CHECK = DischargeCheck.__table__.insert().returning(DischargeCheck.__table__.c.id)  # type: ignore[attr-defined]


def add_check(session: Session, check: DischargeCheck) -> DischargeCheck:
    """Store a discharge check (one INSERT ... RETURNING: the ORM flush cost more than it)."""
    row = check.model_dump(exclude={"id"})
    check.id = session.connection().execute(_INSERT_CHECK, row).scalar_one()
    return check


def final_discharge(session: Session, patient_external_id: str, admission_key: str) -> int | None:
    """The id of the discharge or exception that ended this admission, if any."""
    query = select(col(Discharge.id)).where(
        col(Discharge.patient_external_id) == patient_external_id,
        col(Discharge.admission_key) == admission_key,
        col(Discharge.outcome).in_(("discharged", "exception")),
    )
    return session.execute(query).scalar_one_or_none()


def add_discharge(session: Session, discharge: Discharge) -> Discharge:
    """Store an attempt with its evidence rows; AlreadyDischarged when the admission ended."""
    try:
        with session.begin_nested():
            session.add(discharge)
            session.flush()
    except IntegrityError as exc:  # the one-per-admission index, also under a race
        raise AlreadyDischarged from exc
    assert discharge.id is not None
    for position, item in enumerate(discharge.evidence):
        session.add(
            DischargeEvidence(
                discharge_id=discharge.id,
                position=position,
                result_external_id=item["result_external_id"],
                version=item["version"],
                test_type=item["test_type"],
                result=item.get("result"),
                status=item["status"],
                specimen_collected_at=datetime.fromisoformat(item["specimen_collected_at"]),
                used_as=item["used_as"],
            )
        )
    session.flush()
    return discharge


def get_discharge(session: Session, discharge_id: int) -> Discharge | None:
    """One stored attempt."""
    return session.get(Discharge, discharge_id)


def list_discharges(
    session: Session, filters: DischargeFilter, size: int, after_id: int | None
) -> list[Discharge]:
    """Up to `size` + 1 attempts in order of recording, after `after_id`."""
    query = select(Discharge).where(*filters.clauses()).order_by(col(Discharge.id)).limit(size + 1)
    if after_id is not None:
        query = query.where(col(Discharge.id) > after_id)
    return list(session.execute(query).scalars())


def export_pages(
    engine: Engine, filters: DischargeFilter, page_rows: int = EXPORT_PAGE_ROWS
) -> Iterator[list[Discharge]]:
    """Every matching attempt, a page at a time, each page read in a short session of its own.

    Keyset pages on `id` (rows are append-only, ids only grow): between two pages no
    connection or transaction is held, so a consumer that waits on a slow client (a CSV
    download) holds nothing of the database. The export stops at the newest id matching
    when it began, so a busy ward cannot make it endless.
    """
    where = filters.clauses()
    with Session(engine) as session:
        last = session.execute(select(func.max(col(Discharge.id))).where(*where)).scalar()
    if last is None:
        return
    after = 0
    while after < last:
        query = (
            select(Discharge)
            .where(*where, col(Discharge.id) > after, col(Discharge.id) <= last)
            .order_by(col(Discharge.id))
            .limit(page_rows)
        )
        with Session(engine) as session:
            page = list(session.execute(query).scalars())
        if not page:
            return
        yield page
        after = int(page[-1].id or last)


def _totals_columns() -> list[Any]:
    outcome = col(Discharge.outcome)
    return [
        func.count().label("total"),
        func.sum(case((outcome == "discharged", 1), else_=0)).label("discharged"),
        func.sum(case((outcome == "exception", 1), else_=0)).label("exceptions"),
        func.sum(case((outcome == "blocked", 1), else_=0)).label("blocked_attempts"),
    ]


def _totals(row: Any) -> dict[str, int]:
    return {
        "total": int(row.total or 0),
        "discharged": int(row.discharged or 0),
        "exceptions": int(row.exceptions or 0),
        "blocked_attempts": int(row.blocked_attempts or 0),
    }


def _has_negative(test_type: str) -> Any:
    return exists().where(
        col(DischargeEvidence.discharge_id) == col(Discharge.id),
        col(DischargeEvidence.test_type) == test_type,
        col(DischargeEvidence.result) == "negative",
        col(DischargeEvidence.used_as) == "counting",
    )


def discharged_without_evidence(session: Session, filters: DischargeFilter) -> int:
    """Discharges whose stored evidence lacks a counting negative of any gated test."""
    lacking = [~_has_negative(t) for t in GATED_TESTS]
    query = select(func.count()).where(
        *filters.clauses(),
        col(Discharge.outcome) == "discharged",
        lacking[0] | lacking[1] | lacking[2],
    )
    return int(session.execute(query).scalar_one())


def compliance_report(session: Session, filters: DischargeFilter) -> dict[str, Any]:
    """Totals, by department and by hospital-local day, for the period."""
    where = and_(True, *filters.clauses())
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
    return {
        **_totals(overall),
        "discharged_without_evidence": discharged_without_evidence(session, filters),
        "by_department": [{"department": r.department, **_totals(r)} for r in by_department],
        "by_day": [{"day": _as_date(r.hospital_day), **_totals(r)} for r in by_day],
    }


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
