"""All SQL of discharge attempts. Rows are only ever inserted; the repository flushes only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from services.discharge.discharges.schemas import DischargeFilter
from services.discharge.models import Discharge, DischargeEvidence
from shared.vocabulary import Outcome

# Rows per page of a CSV export (~1 KB each at worst with a 2,000-character reason).
EXPORT_PAGE_ROWS = 500
# The outcomes that end an admission.
FINAL_OUTCOMES = (Outcome.DISCHARGED, Outcome.EXCEPTION)


class AlreadyDischarged(Exception):
    """The admission already ended with a discharge or an exception."""


def matching(filters: DischargeFilter) -> list[ColumnElement[bool]]:
    """The WHERE clauses `filters` stand for."""
    clauses: list[ColumnElement[bool]] = []
    if filters.from_ is not None:
        clauses.append(col(Discharge.created_at) >= filters.from_)
    if filters.to is not None:
        clauses.append(col(Discharge.created_at) < filters.to)
    if filters.department is not None:
        clauses.append(col(Discharge.department) == filters.department)
    if filters.outcome is not None:
        clauses.append(col(Discharge.outcome) == filters.outcome)
    if filters.patient_external_id is not None:
        clauses.append(col(Discharge.patient_external_id) == filters.patient_external_id)
    return clauses


def final_discharge(session: Session, patient_external_id: str, admission_key: str) -> int | None:
    """The id of the discharge or exception that ended this admission, if any."""
    query = select(col(Discharge.id)).where(
        col(Discharge.patient_external_id) == patient_external_id,
        col(Discharge.admission_key) == admission_key,
        col(Discharge.outcome).in_(FINAL_OUTCOMES),
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
    query = select(Discharge).where(*matching(filters)).order_by(col(Discharge.id)).limit(size + 1)
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
    where = matching(filters)
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
