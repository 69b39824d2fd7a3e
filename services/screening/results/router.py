"""Results over HTTP: post one, post a batch, read a person's results (latest or history)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from services.screening.results import reading, service
from services.screening.results.reading import ReceivedFilter
from services.screening.results.schemas import (
    BatchOutcome,
    ReceivedResultPublic,
    ResultBatch,
    ResultCreate,
    ResultPublic,
    result_public,
)
from services.screening.web import CodeFilter, PersonId, utc_now
from shared.audit import Audit
from shared.audit.trail import AsyncAuditTrail
from shared.auth import Principal, require
from shared.auth.roles import ADMIN, AUDITOR, CLINICAL_WRITERS, DOCTOR, INFECTION_CONTROL, READERS
from shared.auth.routes import AuthorizedRoute, allowed
from shared.db import DbSession
from shared.fields import PlausibleTimestamp
from shared.pagination import CursorParam, Limit, Page, page_size
from shared.vocabulary import ResultStatus, ResultValue, TestType
from shared.web.answers import model_answer

router = APIRouter(tags=["results"], route_class=AuthorizedRoute)
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
)
@allowed(*READERS)  # checked before the parameters: one FastAPI dependency less (hot path)
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


@router.get(
    "/results",
    response_model=Page[ReceivedResultPublic],
    summary="Everyone's results by time received (e.g. today's positives)",
    description=(
        "The latest version of every result received in `[from, to)` (`recorded_at`), newest "
        "received first, filtered by `test_type`, `result`, `status` and the person's "
        "`department`; each item carries the person's `person_name`, `category` and "
        "`department` (no phone or ID number). `from` must be before `to` (422). A voided "
        "result shows as its `entered_in_error` latest version (and so not under "
        "`result=positive`). Every read is audited. Roles: doctor, infection_control, auditor, "
        "admin."
    ),
    responses={422: {"description": "`validation_error` (a naive time, from >= to, a cursor)"}},
    dependencies=[Depends(require(DOCTOR, INFECTION_CONTROL, AUDITOR, ADMIN))],
)
def list_received_results(
    session: DbSession,
    audit: Audit,
    test_type: TestType | None = None,
    result: ResultValue | None = None,
    status: ResultStatus | None = None,
    department: CodeFilter = None,
    from_: Annotated[PlausibleTimestamp | None, Query(alias="from")] = None,
    to: PlausibleTimestamp | None = None,
    limit: Limit = None,
    cursor: CursorParam = None,
) -> Page[ReceivedResultPublic]:
    who = ReceivedFilter(test_type, result, status, department, from_, to)
    return reading.received_results(session, audit, who, size=page_size(limit), cursor=cursor)
