"""Isolate every person whose new version is a final or corrected individual positive."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from services.screening.domain.isolation import POSITIVE_RESULT, isolates
from services.screening.isolation.service import isolate_many
from services.screening.results.repository import ResultRow


def isolate_on_positive(session: Session, rows: Sequence[ResultRow], now: datetime) -> None:
    """Isolate every person whose new version is a final or corrected individual positive.

    Set-based (a batch of 5,000 results with hundreds of positives is benchmarked): one read of
    who is isolated already, one insert of the new isolation events, one update of follow-ups.
    """
    first: dict[str, ResultRow] = {}
    for row in rows:
        if row.person_external_id not in first and isolates(
            row.test_type, row.result, row.status, row.method
        ):
            first[row.person_external_id] = row
    if first:
        isolate_many(
            session,
            {person: row.external_id for person, row in first.items()},
            POSITIVE_RESULT,
            now,
            next(iter(first.values())).recorded_by,
        )
