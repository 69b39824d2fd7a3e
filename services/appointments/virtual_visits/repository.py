"""Virtual visits and the per-ward window counts (the same conditional UPDATE as slots)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from services.appointments.domain.virtual_visit import VisitStatus
from services.appointments.models import VirtualVisit, WardWindow
from shared.db import is_postgres

WARD_WINDOW = cast(Table, WardWindow.__table__)  # type: ignore[attr-defined]


def ensure_window(session: Session, ward: str, window_start: datetime, capacity: int) -> int:
    """The id of the (ward, window) counter row, creating it on first use."""
    insert = pg_insert if is_postgres(session) else sqlite_insert
    statement = (
        insert(WARD_WINDOW)
        .values(ward=ward, window_start=window_start, capacity=capacity, booked=0)
        .on_conflict_do_nothing(index_elements=["ward", "window_start"])
    )
    session.connection().execute(statement)
    window_id = session.exec(
        select(WardWindow.id).where(
            WardWindow.ward == ward, WardWindow.window_start == window_start
        )
    ).one()
    return cast(int, window_id)


def take_visit_place(session: Session, window_id: int, capacity_now: int) -> bool:
    """One conditional UPDATE: True when the window still had room."""
    result = session.exec(
        update(WardWindow)
        .where(col(WardWindow.id) == window_id, col(WardWindow.booked) < capacity_now)
        .values(booked=col(WardWindow.booked) + 1, capacity=capacity_now)
    )
    return result.rowcount == 1


def free_visit_place(session: Session, window_id: int) -> None:
    """Give a window's place back."""
    session.exec(
        update(WardWindow)
        .where(col(WardWindow.id) == window_id, col(WardWindow.booked) > 0)
        .values(booked=col(WardWindow.booked) - 1)
    )


def insert_visit(session: Session, visit: VirtualVisit) -> VirtualVisit:
    """Store a new virtual visit."""
    session.add(visit)
    session.flush()
    return visit


def get_visit(session: Session, visit_id: str) -> VirtualVisit | None:
    """One virtual visit by id."""
    return session.get(VirtualVisit, visit_id)


def cancel_visit(session: Session, visit_id: str, now: datetime) -> bool:
    """Mark a booked visit cancelled; False when it was not booked any more."""
    result = session.exec(
        update(VirtualVisit)
        .where(col(VirtualVisit.id) == visit_id, col(VirtualVisit.status) == VisitStatus.BOOKED)
        .values(status=VisitStatus.CANCELLED, status_changed_at=now)
    )
    session.expire_all()
    return result.rowcount == 1


def list_visits(
    session: Session,
    *,
    ward: str | None,
    patient_external_id: str | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> Sequence[VirtualVisit]:
    """Visits by start then id, filtered by ward or patient."""
    query = select(VirtualVisit)
    if ward:
        query = query.where(VirtualVisit.ward == ward)
    if patient_external_id:
        query = query.where(VirtualVisit.patient_external_id == patient_external_id)
    if after:
        start, last_id = after
        query = query.where(
            (col(VirtualVisit.start) > start)
            | ((col(VirtualVisit.start) == start) & (col(VirtualVisit.id) > last_id))
        )
    order = (col(VirtualVisit.start), col(VirtualVisit.id))
    return session.exec(query.order_by(*order).limit(limit)).all()
