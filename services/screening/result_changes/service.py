"""The result change feed: the versions a decision taken on earlier evidence must re-examine.

Ordered by (`recorded_at`, id), oldest first. `recorded_at` is taken before the version's
transaction commits, so a slow transaction can make a version visible after a newer one was
already served. The feed does not hide this: a follower re-reads a trailing window (`since`
= its high-water `recorded_at` minus a few minutes) on every round and applies each
(`result_external_id`, `version`) once. The discharge service does exactly that (see
`services/discharge/reviews/follower.py`).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from services.screening.result_changes import repository
from services.screening.result_changes.schemas import ResultChange, change_public
from shared.audit import AuditTrail
from shared.pagination import Page, Position, next_cursor, time_and_row_id_after


def result_changes(
    session: Session, audit: AuditTrail, since: datetime | None, size: int, cursor: str | None
) -> Page[ResultChange]:
    """A page of the feed; a page that shows any result is audited as a read of results."""
    after = time_and_row_id_after(cursor)
    rows = repository.result_changes(session, since, after, size + 1)
    rows, nxt = next_cursor(rows, size, lambda r: Position(r.id, r.recorded_at))
    if rows:
        audit.record(
            "result_change.list",
            "result-changes",
            since=since.isoformat() if since else None,
            items=len(rows),
        )
    return Page(items=[change_public(r) for r in rows], next_cursor=nxt)
