"""Reading a person's results back: latest versions, or every version (audited)."""

from __future__ import annotations

from services.screening.persons.repository import PERSON_KEY
from services.screening.results import repository
from services.screening.results.repository import ResultRow
from services.screening.results.schemas import ResultPublic, result_public
from shared.async_db import AsyncDatabase
from shared.audit.trail import AsyncAuditTrail
from shared.errors import NotFound
from shared.pagination import Page, Position, next_cursor, row_id_after
from shared.vocabulary import TestType


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
