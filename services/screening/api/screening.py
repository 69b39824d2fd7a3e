"""Screening status of one person, compliance of many, and the active policy."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends

from services.screening.api.deps import ActivePolicy, CodeFilter, PersonId, utc_now
from services.screening.domain.status import screening_status
from services.screening.policy_file import policy_document
from services.screening.repository import results
from services.screening.repository.compliance import PersonFilter, RequiredTest, compliance_page
from services.screening.schemas import Category, ComplianceItem, PolicyPublic, ScreeningStatusPublic
from shared.audit import Audit
from shared.auth import require
from shared.auth.roles import READERS
from shared.db import DbSession, in_transaction
from shared.errors import NotFound
from shared.pagination import CursorParam, Limit, Page, Position, code_after, next_cursor, page_size

router = APIRouter(tags=["screening status"])
Readers = Depends(require(*READERS))


def get_screening_status(
    external_id: str, session: DbSession, audit: Audit, policy: ActivePolicy
) -> dict[str, Any]:
    """A person's status against the policy, audited (the route and the pages share it)."""
    category, versions = results.person_with_versions(session, external_id)
    if category is None:
        raise NotFound("No person with this external_id.", code="unknown_person")
    now = utc_now()
    status = screening_status(category, versions, policy, now)
    audit.record("screening_status.read", f"person/{external_id}", compliant=status.compliant)
    items = [
        {
            "test_type": i.test_type,
            "state": i.state,
            "result_external_id": i.result.external_id if i.result else None,
            "specimen_collected_at": i.result.specimen_collected_at if i.result else None,
            "result": i.result.result if i.result else None,
        }
        for i in status.items
    ]
    return {
        "external_id": external_id,
        "category": category,
        "compliant": status.compliant,
        "evaluated_at": now,
        "items": items,
    }


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
    dependencies=[Readers],
    name="get_screening_status",
)
async def screening_status_route(
    external_id: PersonId, session: DbSession, audit: Audit, policy: ActivePolicy
) -> dict[str, Any]:
    # async, with the reads, the audit row and the commit in one thread-pool hop.
    return await in_transaction(
        session, lambda: get_screening_status(external_id, session, audit, policy)
    )


@router.get(
    "/compliance",
    response_model=Page[ComplianceItem],
    summary="Who is out of compliance, and what each lacks",
    description=(
        "Persons ordered by external id with the required tests that are not `ok` "
        "(`lacking`), computed in the database for the whole page at once. "
        "`state=noncompliant` lists only those lacking something; `state=compliant` the rest."
    ),
    dependencies=[Readers],
)
def get_compliance(
    session: DbSession,
    audit: Audit,
    policy: ActivePolicy,
    category: Category | None = None,
    department: CodeFilter = None,
    state: Literal["noncompliant", "compliant"] | None = None,
    limit: Limit = None,
    cursor: CursorParam = None,
) -> dict[str, Any]:
    now = utc_now()
    size = page_size(limit)
    required = [
        RequiredTest(cat, req.test_type, now - req.valid_for, n)
        for cat in policy.requirements
        if category is None or cat == category
        for n, req in enumerate(policy.required(cat))
    ]
    rows = compliance_page(
        session,
        required,
        size=size,
        after=code_after(cursor),
        who=PersonFilter(category=category, department=department),
        state=state,
    )
    rows, nxt = next_cursor(rows, size, lambda r: Position(r["external_id"]))
    audit.record(
        "compliance.read", "compliance", category=category, department=department, state=state
    )
    for r in rows:
        r["compliant"] = not r["lacking"]
    return {"items": rows, "next_cursor": nxt}


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
