"""Reading results back: a person's (latest versions or every version), or everyone's latest
by time received (infection control's list of today's positives); every read audited."""

from __future__ import annotations

from sqlmodel import Session

from services.screening.persons.repository import PERSON_KEY
from services.screening.results import repository
from services.screening.results.repository import ReceivedFilter, ResultRow
from services.screening.results.schemas import (
    ReceivedResultPublic,
    ResultPublic,
    received_public,
    result_public,
)
from shared.async_db import AsyncDatabase
from shared.audit import AuditTrail
from shared.audit.trail import AsyncAuditTrail
from shared.errors import NotFound, Unprocessable, field_error
from shared.pagination import Page, Position, next_cursor, row_id_after, time_and_row_id_after
from shared.vocabulary import TestType

__all__ = ["ReceivedFilter", "known_departments", "person_results", "received_results"]


async def person_results(
    db: AsyncDatabase,
    audit: AsyncAuditTrail,
    external_id: str,
    *,
    test_type: TestType | None,
    include_history: bool,
    size: int,
    cursor: str | None,
) -> Page[ResultPublic]:
    """A page of a person's results, newest recorded first; NotFound for an unknown person.

    A hot path, with no thread hop: the person looked up and the read audited in one
    statement, then the page."""
    after_id = row_id_after(cursor)
    query = repository.results_query(
        after=after_id is not None, test_type=test_type is not None, include_history=include_history
    )
    params = repository.results_params(
        external_id, size=size, after_id=after_id, test_type=test_type
    )
    async with db.transaction(read=True) as tx:
        known = await audit.read(
            tx,
            PERSON_KEY,
            {"external_id": external_id},
            "result.read",
            f"person/{external_id}",
            test_type=test_type,
            history=include_history,
        )
        if not known:
            raise NotFound("No person with this external_id.", code="unknown_person")
        rows = [ResultRow(*r) for r in await tx.rows(query, params)]
    rows, nxt = next_cursor(rows, size, lambda r: Position(r.id))
    return Page(items=[result_public(r) for r in rows], next_cursor=nxt)


def received_results(
    session: Session, audit: AuditTrail, who: ReceivedFilter, *, size: int, cursor: str | None
) -> Page[ReceivedResultPublic]:
    """A page of results' latest versions by time received, newest first, audited.

    Raises Unprocessable when `from` is not before `to` (or the cursor is not ours)."""
    if who.start is not None and who.end is not None and not who.start < who.end:
        raise Unprocessable(
            "`from` must be before `to`.",
            code="validation_error",
            errors=[field_error("from", "must be before to", "window_reversed")],
        )
    after = time_and_row_id_after(cursor)
    rows = repository.received_results(session, who, size=size + 1, after=after)
    rows, nxt = next_cursor(rows, size, lambda r: Position(r.result.id, r.result.recorded_at))
    audit.record(
        "result.list",
        "results",
        test_type=who.test_type,
        result=who.result,
        status=who.status,
        department=who.department,
        count=len(rows),
    )
    return Page(items=[received_public(r) for r in rows], next_cursor=nxt)


def known_departments(session: Session) -> list[str]:
    """The department codes some registered person has (what code filters offer)."""
    return repository.person_departments(session)
