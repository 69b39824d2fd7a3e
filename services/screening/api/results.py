"""Results: post one, post a batch, read a person's results (latest or with history)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from services.screening.api.deps import PersonId, result_view, utc_now
from services.screening.recording import record_batch, record_result
from services.screening.repository import persons, results
from services.screening.schemas import (
    BatchOutcome,
    ResultBatch,
    ResultCreate,
    ResultPublic,
    TestType,
)
from shared.audit import Audit
from shared.auth import Principal, require
from shared.auth.roles import CLINICAL_WRITERS, READERS
from shared.db import DbSession, in_transaction
from shared.errors import NotFound, Unprocessable
from shared.pagination import (
    CursorParam,
    Limit,
    Page,
    Position,
    next_cursor,
    page_size,
    row_id_after,
)

router = APIRouter(tags=["results"])
Writer = Annotated[Principal, Depends(require(*CLINICAL_WRITERS))]


@router.post(
    "/results",
    response_model=ResultPublic,
    status_code=201,
    summary="Record a screening result (or a new version of one)",
    description=(
        "201 with the stored version. The same `external_id` with the same content again: 200 "
        "with the stored version (a safe retry; nothing written). `corrected` or "
        "`entered_in_error`: a new version replacing the latest one; a `preliminary` result "
        "may also be superseded by a newer `preliminary` or its `final`. Different content "
        "under a known `external_id` otherwise: 409 `result_conflict`. Unknown person: 404. "
        "A result that does not fit its test type, a wrong LOINC code or a specimen time in "
        "the future: 422. A positive nucleic-acid or antibody result queues a webhook alert."
    ),
    responses={
        200: {"description": "A retry: the stored version", "model": ResultPublic},
        404: {"description": "`unknown_person`"},
        409: {"description": "`result_conflict`: different content under a known external_id"},
        422: {"description": "`validation_error` (per-field errors) or `unknown_result`"},
    },
)
def post_result(
    body: ResultCreate, response: Response, session: DbSession, audit: Audit, principal: Writer
) -> dict[str, Any]:
    now = utc_now()
    problems = body.problems(now)
    if problems:
        raise Unprocessable(
            "The result is not valid: " + "; ".join(f"{e['field']}: {e['msg']}" for e in problems),
            code="validation_error",
            errors=problems,
        )
    person = persons.get_person(session, body.person_external_id)
    if person is None:
        raise NotFound("No person with this person_external_id.", code="unknown_person")
    row, created = record_result(session, body, person, principal.sub, now)
    response.status_code = 201 if created else 200
    audit.record(
        "result.create" if created else "result.retry",
        f"result/{row['external_id']}/v{row['version']}",
        person=body.person_external_id,
        test_type=body.test_type,
        status=body.status,
    )
    return result_view(row)


@router.post(
    "/results/batch",
    response_model=BatchOutcome,
    summary="Record up to 5,000 results in one transaction",
    description=(
        "Each item is judged as `POST /results` would: stored (`accepted`), a safe retry "
        "(`duplicates`), or `rejected` with its index and per-field errors (including "
        "`unknown_person` and `result_conflict`). Nothing is dropped silently. More than "
        "5,000 items: 422."
    ),
)
def post_batch(
    body: ResultBatch, session: DbSession, audit: Audit, principal: Writer
) -> dict[str, Any]:
    tally = record_batch(session, body.results, principal.sub, utc_now())
    audit.record(
        "result.batch",
        "results",
        items=len(body.results),
        accepted=tally.accepted,
        duplicates=tally.duplicates,
        rejected=len(tally.rejected),
    )
    return {"accepted": tally.accepted, "duplicates": tally.duplicates, "rejected": tally.rejected}


@router.get(
    "/persons/{external_id}/results",
    response_model=Page[ResultPublic],
    summary="A person's results",
    description=(
        "Newest recorded first. Without `include_history` only each result's latest version "
        "(an `entered_in_error` latest version included); with it, every version."
    ),
    dependencies=[Depends(require(*READERS))],
)
async def list_person_results(
    external_id: PersonId,
    session: DbSession,
    audit: Audit,
    test_type: TestType | None = None,
    include_history: Annotated[bool, Query()] = False,
    limit: Limit = None,
    cursor: CursorParam = None,
) -> dict[str, Any]:
    size = page_size(limit)
    after_id = row_id_after(cursor)

    # async with one thread hop for the database work (the discharge gate's hot path).
    def read() -> list[dict[str, Any]]:
        if not persons.person_exists(session, external_id):
            raise NotFound("No person with this external_id.", code="unknown_person")
        rows = results.list_results(
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
        return rows

    rows, nxt = next_cursor(await in_transaction(session, read), size, lambda r: Position(r["id"]))
    return {"items": [result_view(r) for r in rows], "next_cursor": nxt}
