"""Screening status of one person, compliance of many, and the active policy, over HTTP."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.screening.status import service
from services.screening.status.policy_file import policy_document
from services.screening.status.schemas import (
    ComplianceItem,
    ComplianceState,
    PolicyPublic,
    ScreeningStatusPublic,
)
from services.screening.web import ActivePolicy, CodeFilter, PersonId, utc_now
from shared.audit import Audit
from shared.audit.trail import AsyncAuditTrail
from shared.auth import require
from shared.auth.roles import READERS
from shared.auth.routes import AuthorizedRoute, allowed
from shared.db import DbSession
from shared.pagination import CursorParam, Limit, Page, page_size
from shared.vocabulary import Category
from shared.web.answers import model_answer

router = APIRouter(tags=["screening status"], route_class=AuthorizedRoute)
Readers = Depends(require(*READERS))


@router.get(
    "/persons/{external_id}/screening-status",
    response_model=ScreeningStatusPublic,
    summary="A person's screening status against the active policy",
    description=(
        "One item per test the person's category requires. State: `pending` when a "
        "preliminary result is newer than the counting one, `missing` with no counting "
        "result, `expired` when it was collected before the policy window, else the counting "
        "result's own reading (`positive`, `indeterminate`, `abnormal`) or `ok`. "
        "`compliant` when every item is `ok`."
    ),
    name="get_screening_status",
)
@allowed(*READERS)  # checked before the parameters: one FastAPI dependency less (hot path)
async def screening_status_route(external_id: PersonId, request: Request) -> Response:
    # A hot path: async end to end, the answer serialised once (no response-model pass).
    state = request.app.state
    status = await service.screening_status_of(
        state.db, AsyncAuditTrail(request), state.policy, external_id, utc_now()
    )
    return model_answer(status)


@router.get(
    "/compliance",
    response_model=Page[ComplianceItem],
    summary="Who is out of compliance, and what each lacks",
    description=(
        "Persons ordered by external id with the required tests that are not `ok` "
        "(`lacking`), computed in the database for the whole page at once. "
        "`state=noncompliant` lists only those lacking something; `state=compliant` the rest. "
        "Persons whose admission ended with a discharge are left out unless "
        "`include_discharged=true`."
    ),
    dependencies=[Readers],
)
def get_compliance(
    session: DbSession,
    audit: Audit,
    policy: ActivePolicy,
    category: Category | None = None,
    department: CodeFilter = None,
    state: ComplianceState | None = None,
    include_discharged: bool = False,
    limit: Limit = None,
    cursor: CursorParam = None,
) -> Page[ComplianceItem]:
    return service.compliance(
        session,
        audit,
        policy,
        category=category,
        department=department,
        state=state,
        size=page_size(limit),
        cursor=cursor,
        now=utc_now(),
        include_discharged=include_discharged,
    )


@router.get(
    "/policy",
    response_model=PolicyPublic,
    summary="The active screening policy",
    description=(
        "Which tests each category needs and for how long a result counts. Set by the file "
        "in WARDGATE_POLICY_FILE (YAML or JSON, checked at startup), else the contract's "
        "default. Read-only over the API."
    ),
    dependencies=[Readers],
)
async def get_policy(policy: ActivePolicy) -> PolicyPublic:
    return policy_document(policy)
