"""HTTP in and out: the change feed of result versions that the discharge service follows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.screening.result_changes import service
from services.screening.result_changes.schemas import ResultChange
from shared.audit import Audit
from shared.auth import require
from shared.auth.roles import ADMIN, AUDITOR, INFECTION_CONTROL, INTEGRATION
from shared.db import DbSession
from shared.fields import PlausibleTimestamp
from shared.pagination import CursorParam, Limit, Page, page_size

router = APIRouter(tags=["result changes"])

DESCRIPTION = """\
The versions that can change a decision already taken on earlier evidence, oldest received
first (by `recorded_at`, then arrival): every version after the first of any result (its
`status` says whether it is a correction, a void — `entered_in_error` — or the final of a
preliminary; `replaces` names the version it supersedes), and every `final` or `corrected`
individual (`method: individual`) positive `nucleic_acid` result with its
`specimen_collected_at`.

Following it: keep the highest `recorded_at` applied, and on each poll ask again with
`since` = that time minus a trailing window (the discharge service uses 120 s), paging with
`next_cursor` to the end. A version's `recorded_at` is set before its transaction commits, so
a version can appear after newer ones were served; the window catches it. Apply each
(`result_external_id`, `version`) once: the window re-serves what was already seen.

Roles: integration (the discharge service's credential), infection_control, auditor, admin.
A page that shows any result is audited as a read of results.
"""


@router.get(
    "/result-changes",
    response_model=Page[ResultChange],
    summary="Result versions that may change earlier decisions (a feed to follow)",
    description=DESCRIPTION,
    responses={422: {"description": "`validation_error` (a naive `since`, a cursor)"}},
    dependencies=[Depends(require(INTEGRATION, INFECTION_CONTROL, AUDITOR, ADMIN))],
)
def list_result_changes(
    session: DbSession,
    audit: Audit,
    since: Annotated[
        PlausibleTimestamp | None, Query(description="Versions received at or after this time.")
    ] = None,
    limit: Limit = None,
    cursor: CursorParam = None,
) -> Page[ResultChange]:
    return service.result_changes(session, audit, since, page_size(limit), cursor)
