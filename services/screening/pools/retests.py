"""Close the open retests that an individual nucleic-acid result answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from services.screening.pools import repository as repo
from services.screening.results.repository import ResultRow
from shared.vocabulary import COUNTING_STATUSES, ResultMethod, TestType


def close_retests(session: Session, rows: Sequence[ResultRow], now: datetime) -> None:
    """Close the open retests that an individual nucleic-acid result answers.

    A retest is done when an individual `nucleic_acid` result (final or corrected) for its
    person arrives with a specimen collected after the pool's specimens. One query for the
    whole batch (the results batch is benchmarked), none when no row could close anything.
    """
    answering = [
        r
        for r in rows
        if r.test_type == TestType.NUCLEIC_ACID
        and r.method == ResultMethod.INDIVIDUAL
        and r.status in COUNTING_STATUSES
    ]
    if not answering:
        return
    retests = repo.open_retests_of(session, [r.person_external_id for r in answering])
    for retest in retests:
        for row in answering:
            if (
                row.person_external_id == retest.person_external_id
                and row.specimen_collected_at > retest.pool_collected_at
            ):
                repo.close_retest(session, retest.id, row.external_id, now)
                break
