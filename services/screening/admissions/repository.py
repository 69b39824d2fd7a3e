"""All SQL of admission ends: inserted once per discharge id, never changed."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.screening.models import admission_end_table as E


@dataclass(frozen=True, slots=True)
class AdmissionEndRow:
    """One stored admission end."""

    discharge_id: int
    person_external_id: str
    admitted_at: datetime | None
    discharged_at: datetime
    disposition: str
    outcome: str
    recorded_at: datetime
    recorded_by: str


_COLUMNS = [E.c[f.name] for f in fields(AdmissionEndRow)]


def end_of_discharge(session: Session, discharge_id: int) -> AdmissionEndRow | None:
    """The end stored for this discharge id, if any."""
    row = (
        session.connection()
        .execute(select(*_COLUMNS).where(E.c.discharge_id == discharge_id))
        .first()
    )
    return AdmissionEndRow(*row) if row else None


def add_end(session: Session, end: AdmissionEndRow) -> bool:
    """Store the end; False when this discharge id (or this admission) already has one."""
    values = {f.name: getattr(end, f.name) for f in fields(AdmissionEndRow)}
    try:
        with session.begin_nested():
            session.connection().execute(E.insert().values(**values))
    except IntegrityError:  # the unique discharge id (or admission): sent again, or a race
        return False
    return True
