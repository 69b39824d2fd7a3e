"""Reading a person's results back: latest versions, or every version (audited)."""

from __future__ import annotations

from sqlmodel import Session

from services.screening.persons.repository import person_exists
from services.screening.results import repository
from services.screening.results.schemas import ResultPublic, result_public
from shared.audit import AuditTrail
from shared.errors import NotFound
from shared.pagination import Page, Position, next_cursor, row_id_after
from shared.vocabulary import TestType


def person_results(
    session: Session,
    audit: AuditTrail,
    external_id: str,
    *,
    test_type: TestType | None,
    include_history: bool,
    size: int,
    cursor: str | None,
) -> Page[ResultPublic]:
    """A page of a person's results, newest recorded first; NotFound for an unknown person."""
    after_id = row_id_after(cursor)
    if not person_exists(session, external_id):
        raise NotFound("No person with this external_id.", code="unknown_person")
    rows = repository.list_results(
        session,
        external_id,
        size=size,
        after_id=after_id,
        test_type=test_type,
        include_history=include_history,
    )
    audit.record(
        "result.read", f"person/{external_id}", test_type=test_type, history=include_history
    )
    rows, nxt = next_cursor(rows, size, lambda r: Position(r.id))
    return Page(items=[result_public(r) for r in rows], next_cursor=nxt)
