"""Results over HTTP: post one, post a batch, read a person's results (latest or history)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from services.screening.results import reading, service
from services.screening.results.schemas import (
    BatchOutcome,
    ResultBatch,
    ResultCreate,
    ResultPublic,
    result_public,
)
from services.screening.web import PersonId, utc_now
from shared.audit import Audit
from shared.audit.trail import AsyncAuditTrail
from shared.auth import Principal, require
from shared.auth.roles import CLINICAL_WRITERS, READERS
from shared.db import DbSession
from shared.pagination import CursorParam, Limit, Page, page_size
from shared.vocabulary import TestType
from shared.web.answers import model_answer

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
) -> ResultPublic:
    recorded = service.record_result(session, body, principal.sub, audit, utc_now())
    response.status_code = 201 if recorded.created else 200
    return result_public(recorded.row)


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
    tally = service.record_batch(session, body.results, principal.sub, audit, utc_now())
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
    request: Request,
    test_type: TestType | None = None,
    include_history: Annotated[bool, Query()] = False,
    limit: Limit = None,
    cursor: CursorParam = None,
) -> Response:
    # A hot path (the discharge gate's further pages): async end to end, serialised once.
    page = await reading.person_results(
        request.app.state.db,
        AsyncAuditTrail(request),
        external_id,
        test_type=test_type,
        include_history=include_history,
        size=page_size(limit),
        cursor=cursor,
    )
    return model_answer(page)
