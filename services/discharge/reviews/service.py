"""Discharge reviews: opened from screening's result changes, listed and closed by people."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from services.discharge.domain.review_triggers import (
    ARRIVAL_SKEW,
    DISCHARGE_LOOKBACK,
    ChangedVersion,
    is_positive_nucleic_acid,
    review_triggers,
)
from services.discharge.reviews import repository
from services.discharge.reviews.schemas import ReviewClose, ReviewPublic, review_public
from shared.audit import AuditTrail
from shared.auth.tokens import Principal
from shared.errors import Conflict, NotFound
from shared.pagination import Page, Position, next_cursor, row_id_after
from shared.vocabulary import ReviewState


def apply_changes(
    session: Session, audit: AuditTrail, versions: Sequence[ChangedVersion], now: datetime
) -> list[int]:
    """Open a review for every discharge these versions put in doubt (each at most once,
    whatever was applied before); the ids of the reviews opened now, each audited."""
    if not versions:
        return []
    positives = [v for v in versions if is_positive_nucleic_acid(v)]
    since = min(v.recorded_at for v in versions) - DISCHARGE_LOOKBACK - ARRIVAL_SKEW
    discharges = repository.discharges_touched(
        session,
        [v.result_external_id for v in versions],
        [v.person_external_id for v in positives],
        since,
    )
    triggers = review_triggers(versions, discharges)
    opened = repository.open_reviews(session, triggers, now)
    by_key = {(t.discharge_id, t.result_external_id, t.version): t for t in triggers}
    for review_id in opened:
        row = repository.get_review(session, review_id)
        assert row is not None  # inserted in this transaction
        trigger = by_key[(row.discharge_id, row.result_external_id, row.version)]
        audit.record(
            "review.open",
            f"discharge-review/{review_id}",
            discharge_id=trigger.discharge_id,
            result_external_id=trigger.result_external_id,
            version=trigger.version,
            change=trigger.change.value,
        )
    return opened


def list_reviews(
    session: Session, audit: AuditTrail, state: ReviewState | None, size: int, cursor: str | None
) -> Page[ReviewPublic]:
    """A page of reviews, newest first, audited."""
    rows = repository.list_reviews(session, state, size + 1, row_id_after(cursor))
    rows, nxt = next_cursor(rows, size, lambda r: Position(r.id))
    audit.record("review.list", "discharge-reviews", state=state.value if state else None)
    return Page(items=[review_public(r) for r in rows], next_cursor=nxt)


def close_review(
    session: Session,
    audit: AuditTrail,
    principal: Principal,
    review_id: int,
    body: ReviewClose,
    now: datetime,
) -> ReviewPublic:
    """Close an open review with its resolution; 404 unknown, 409 `review_closed`."""
    closed = repository.close_review(
        session, review_id, body.resolution.value, body.note, principal.sub, now
    )
    row = repository.get_review(session, review_id)
    if row is None:
        raise NotFound(f"There is no discharge review {review_id}.", code="unknown_review")
    if not closed:
        raise Conflict(
            f"Discharge review {review_id} is already closed ({row.resolution}).",
            code="review_closed",
        )
    audit.record(
        "review.close",
        f"discharge-review/{review_id}",
        discharge_id=row.discharge_id,
        resolution=body.resolution.value,
    )
    return review_public(row)


def open_review_count(session: Session) -> int:
    """How many reviews wait for infection control now."""
    return repository.count_open(session)
