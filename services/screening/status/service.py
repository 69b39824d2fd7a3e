"""Screening status of one person and compliance of many, against the active policy."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from services.screening.domain.policy import ScreeningPolicy
from services.screening.domain.status import screening_status
from services.screening.status import repository
from services.screening.status.repository import PersonFilter
from services.screening.status.schemas import (
    ComplianceItem,
    ComplianceState,
    Lack,
    ScreeningStatusPublic,
    StatusItem,
)
from shared.async_db import AsyncDatabase
from shared.audit import AuditTrail
from shared.audit.trail import AsyncAuditTrail
from shared.errors import NotFound
from shared.pagination import Page, Position, code_after, next_cursor
from shared.vocabulary import Category, ResultValue, ScreeningState, TestType


async def screening_status_of(
    db: AsyncDatabase,
    audit: AsyncAuditTrail,
    policy: ScreeningPolicy,
    external_id: str,
    now: datetime,
) -> ScreeningStatusPublic:
    """A person's status against the policy, audited; NotFound for an unknown person.

    A hot path, with no thread hop: the person's versions and the read's audit row in one
    statement on PostgreSQL, then the rule. The audit row names who read whose status; what it
    showed can be told again from the append-only results and the policy."""
    async with db.transaction(read=True) as tx:
        rows = await audit.read(
            tx,
            repository.PERSON_WITH_VERSIONS,
            {"person": external_id},
            "screening_status.read",
            f"person/{external_id}",
        )
    category, versions = repository.category_and_versions(rows)
    if category is None:
        raise NotFound("No person with this external_id.", code="unknown_person")
    status = screening_status(category, versions, policy, now)
    items = [
        StatusItem(
            test_type=i.test_type,
            state=i.state,
            result_external_id=i.result.external_id if i.result else None,
            specimen_collected_at=i.result.specimen_collected_at if i.result else None,
            result=ResultValue(i.result.result) if i.result and i.result.result else None,
        )
        for i in status.items
    ]
    return ScreeningStatusPublic(
        external_id=external_id,
        category=Category(category),
        compliant=status.compliant,
        evaluated_at=now,
        items=items,
    )


def compliance(
    session: Session,
    audit: AuditTrail,
    policy: ScreeningPolicy,
    *,
    category: Category | None,
    department: str | None,
    state: ComplianceState | None,
    size: int,
    cursor: str | None,
    now: datetime,
    include_discharged: bool = False,
) -> Page[ComplianceItem]:
    """A page of persons by external id with the required tests each lacks, audited;
    discharged inpatients (their admission ended) only with `include_discharged`."""
    required = repository.required_tests(policy, now, category)
    who = PersonFilter(category, department, include_discharged)
    rows = repository.compliance_page(
        session, required, size=size, after=code_after(cursor), who=who, state=state
    )
    rows, nxt = next_cursor(rows, size, lambda r: Position(r.external_id))
    audit.record(
        "compliance.read",
        "compliance",
        category=category,
        department=department,
        state=state,
        include_discharged=include_discharged,
    )
    items = [
        ComplianceItem(
            external_id=r.external_id,
            name=r.name,
            category=Category(r.category),
            department=r.department,
            ward=r.ward,
            compliant=not r.lacking,
            lacking=[
                Lack(test_type=TestType(x.test_type), state=ScreeningState(x.state))
                for x in r.lacking
            ],
        )
        for r in rows
    ]
    return Page(items=items, next_cursor=nxt)
