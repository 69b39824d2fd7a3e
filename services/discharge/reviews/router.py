"""HTTP in and out: reviews of discharges whose evidence a later result changed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from services.discharge.dependencies import ReportReader
from services.discharge.reviews import service
from services.discharge.reviews.schemas import ReviewClose, ReviewPublic
from shared.audit import Audit
from shared.auth import Principal, require
from shared.auth.roles import INFECTION_CONTROL
from shared.db import DbSession
from shared.pagination import CursorParam, Limit, Page, page_size
from shared.vocabulary import ReviewState

router = APIRouter(tags=["discharge reviews"])
InfectionControl = Annotated[Principal, Depends(require(INFECTION_CONTROL))]
ReviewId = Annotated[int, Path(ge=1, le=2**63 - 1)]
PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}

LIST_DESCRIPTION = """\
A review is opened (within `WARDGATE_REVIEW_LAG_S`, default 10 s) when a result version
reaches the screening service that puts a `discharged` record in doubt: a correction
(`change: corrected`) or void (`voided`, `entered_in_error`) of a result in the discharge's
stored evidence, or a final or corrected individual positive nucleic acid of the patient,
received after the discharge, whose specimen was collected at most 14 days before a discharge
of the last 30 days (`late_positive`). One review per discharge and result version. Blocked
attempts and exceptions are never reviewed. Newest first. Roles: infection_control, auditor,
admin.
"""


@router.get(
    "/discharge-reviews",
    response_model=Page[ReviewPublic],
    summary="Discharges that a later result put in doubt",
    description=LIST_DESCRIPTION,
    responses={422: {"description": "`validation_error` (an unknown state, a cursor)"}},
)
def list_discharge_reviews(
    session: DbSession,
    audit: Audit,
    _reader: ReportReader,
    state: ReviewState | None = None,
    limit: Limit = None,
    cursor: CursorParam = None,
) -> Page[ReviewPublic]:
    return service.list_reviews(session, audit, state, page_size(limit), cursor)


@router.post(
    "/discharge-reviews/{review_id}/close",
    response_model=ReviewPublic,
    summary="Close a discharge review with its resolution",
    description=(
        "`resolution`: `no_action`, `patient_recalled` or `public_health_notified`; `note` is "
        "required. A review is closed once: again -> 409 `review_closed`. Unknown review -> "
        "404. Role: infection_control."
    ),
    responses={
        404: {"description": "`unknown_review`", **PROBLEM},
        409: {"description": "`review_closed`: it was closed already", **PROBLEM},
        422: {"description": "`validation_error`", **PROBLEM},
    },
)
def close_discharge_review(
    review_id: ReviewId,
    body: ReviewClose,
    session: DbSession,
    audit: Audit,
    principal: InfectionControl,
) -> ReviewPublic:
    return service.close_review(session, audit, principal, review_id, body, datetime.now(UTC))
