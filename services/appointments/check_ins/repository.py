"""Check-in attempts: stored once with their readings, listed by department or patient."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from services.appointments.models import CheckIn


def record_check_in(session: Session, check_in: CheckIn) -> CheckIn:
    """Append one check-in attempt."""
    session.add(check_in)
    session.flush()
    return check_in


def list_check_ins(
    session: Session,
    *,
    department: str | None,
    patient_external_id: str | None,
    from_: datetime | None,
    to: datetime | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> Sequence[CheckIn]:
    """Attempts oldest first (time, then id); `from` inclusive, `to` exclusive."""
    query = select(CheckIn)
    if department:
        query = query.where(CheckIn.department_code == department)
    if patient_external_id:
        query = query.where(CheckIn.patient_external_id == patient_external_id)
    if from_:
        query = query.where(col(CheckIn.at) >= from_)
    if to:
        query = query.where(col(CheckIn.at) < to)
    if after:
        at, last_id = after
        query = query.where(
            or_(col(CheckIn.at) > at, and_(col(CheckIn.at) == at, col(CheckIn.id) > last_id))
        )
    return session.exec(query.order_by(col(CheckIn.at), col(CheckIn.id)).limit(limit)).all()


def get_check_in(session: Session, check_in_id: int) -> CheckIn | None:
    """One stored attempt, or None."""
    return session.get(CheckIn, check_in_id)


def latest_check_in(session: Session, appointment_id: str) -> CheckIn | None:
    """The newest attempt for an appointment, or None when there was none."""
    query = (
        select(CheckIn)
        .where(CheckIn.appointment_id == appointment_id)
        .order_by(col(CheckIn.at).desc(), col(CheckIn.id).desc())
        .limit(1)
    )
    return session.exec(query).first()
