"""All SQL of the result change feed: the versions discharge needs, by time received."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlmodel import Session

from services.screening.models import result_table as R
from shared.vocabulary import ResultMethod, ResultStatus, ResultValue, TestType


@dataclass(frozen=True, slots=True)
class ChangeRow:
    """One result version on the feed."""

    id: int
    external_id: str
    version: int
    replaces_version: int | None
    person_external_id: str
    test_type: str
    result: str | None
    status: str
    method: str
    specimen_collected_at: datetime
    recorded_at: datetime


def _on_the_feed() -> object:
    """Every version after the first (corrections, voids, finals of preliminaries), and every
    final or corrected individual positive nucleic acid."""
    positive = and_(
        R.c.test_type == TestType.NUCLEIC_ACID.value,
        R.c.method == ResultMethod.INDIVIDUAL.value,
        R.c.result == ResultValue.POSITIVE.value,
        R.c.status.in_([ResultStatus.FINAL.value, ResultStatus.CORRECTED.value]),
    )
    return or_(R.c.version > 1, positive)


def result_changes(
    session: Session, since: datetime | None, after: tuple[datetime, int] | None, size: int
) -> list[ChangeRow]:
    """Feed versions received at or after `since`, after the `after` position, oldest first."""
    query = (
        select(*(R.c[f.name] for f in fields(ChangeRow)))
        .where(_on_the_feed())  # type: ignore[arg-type]
        .order_by(R.c.recorded_at, R.c.id)
        .limit(size)
    )
    if since is not None:
        query = query.where(R.c.recorded_at >= since)
    if after is not None:
        at, row_id = after
        query = query.where(or_(R.c.recorded_at > at, and_(R.c.recorded_at == at, R.c.id > row_id)))
    return [ChangeRow(**r._mapping) for r in session.connection().execute(query)]
