"""HTTP in and out: reports of positive nucleic acids to public health."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.screening.public_health import service
from services.screening.public_health.schemas import (
    ReportCompliancePublic,
    ReportPublic,
    compliance_public,
)
from services.screening.public_health.service import LedgerFilter
from services.screening.web import utc_now
from shared.audit import Audit
from shared.auth import require
from shared.auth.roles import REPORT_READERS
from shared.db import DbSession
from shared.fields import PlausibleTimestamp
from shared.pagination import CursorParam, Limit, Page, page_size
from shared.vocabulary import ReportState

router = APIRouter(tags=["public health reports"])
Readers = Depends(require(*REPORT_READERS))
From = Annotated[
    PlausibleTimestamp | None,
    Query(alias="from", description="Results that reached WardGate at or after this time."),
]
To = Annotated[
    PlausibleTimestamp | None, Query(description="Results that reached WardGate before this time.")
]
_WINDOW_422: dict[int | str, dict[str, Any]] = {
    422: {"description": "`validation_error` (a naive time, from >= to, a cursor)"}
}


@router.get(
    "/reports",
    response_model=Page[ReportPublic],
    summary="Reports to public health: the ledger",
    description=(
        "Every report of a final or corrected individual positive nucleic acid (`initial`), "
        "and of a later correction (`correction`) or void (`cancel`) of a reported one, newest "
        "first. `state`: `delivered`; `overdue` (not delivered and past `due_at`, still "
        "retried); `failed` (an attempt failed, not yet due); `pending` (not yet attempted, not "
        "yet due). `due_at` is WARDGATE_REPORT_DEADLINE_H after the result version reached "
        "WardGate; `from`/`to` select on that arrival time. Roles: infection_control, auditor, "
        "admin. Every read is audited."
    ),
    responses=_WINDOW_422,
    dependencies=[Readers],
)
def list_reports(
    session: DbSession,
    audit: Audit,
    state: ReportState | None = None,
    from_: From = None,
    to: To = None,
    limit: Limit = None,
    cursor: CursorParam = None,
) -> Page[ReportPublic]:
    who = LedgerFilter(state, from_, to)
    return service.ledger(session, audit, who, utc_now(), size=page_size(limit), cursor=cursor)


@router.get(
    "/compliance/reports",
    response_model=ReportCompliancePublic,
    summary="Reports to public health: on time, late, overdue",
    description=(
        "Over the reports whose result reached WardGate in the window (every report without "
        "`from`/`to`): `total`; `on_time` (delivered by `due_at`); `late` (delivered after "
        "it); `overdue` (not delivered, past `due_at`); reports not yet due count in `total` "
        "only. `median_minutes`: from arrival to delivery over the delivered ones, null when "
        "none was. Roles: infection_control, auditor, admin."
    ),
    responses=_WINDOW_422,
    dependencies=[Readers],
)
def report_compliance(
    session: DbSession, audit: Audit, from_: From = None, to: To = None
) -> ReportCompliancePublic:
    figures = service.report_compliance(session, audit, from_, to, utc_now())
    return compliance_public(figures)
