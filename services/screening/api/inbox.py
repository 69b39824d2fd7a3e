"""The inbox of feed results that could not be stored: list them, match them to a person."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Response

from services.screening.api.deps import result_view, utc_now
from services.screening.feeds import repository as inbox_repo
from services.screening.feeds.inbox import TestTypeRefused, item_view, match_item, sweep
from services.screening.feeds.schemas import InboxItemPublic, InboxMatch, InboxMatchOutcome
from shared.audit import Audit
from shared.auth import Principal, require
from shared.auth.roles import ADMIN, AUDITOR, DOCTOR, INFECTION_CONTROL, NURSE
from shared.db import DbSession
from shared.pagination import (
    CursorParam,
    Limit,
    Page,
    Position,
    next_cursor,
    page_size,
    row_id_after,
)
from shared.web.problems import problem_response

router = APIRouter(tags=["inbox"])
# Matching stores a result: clinical staff only (admins configure and read, never write results).
MATCHERS = (NURSE, DOCTOR, INFECTION_CONTROL)
Matcher = Annotated[Principal, Depends(require(*MATCHERS))]
Reader = Annotated[Principal, Depends(require(*MATCHERS, AUDITOR, ADMIN))]
ItemId = Annotated[int, Path(ge=1, le=2**62, description="The inbox item's id.")]


@router.get(
    "/inbox",
    response_model=Page[InboxItemPublic],
    summary="Feed results held for an unknown person or an unmapped code",
    description=(
        "Oldest first. `state=held` (default) lists what still needs a person or a test "
        "type; `matched` what was matched, by whom; `all` both. The patient's name is masked "
        "and only the birth year is shown. For nurses, doctors and infection control, "
        "items whose person has been registered meanwhile are matched first. Auditors and "
        "admins read."
    ),
)
def list_inbox(
    session: DbSession,
    audit: Audit,
    principal: Reader,
    state: Literal["held", "matched", "all"] = "held",
    reason: Literal["unknown_person", "ambiguous_person", "unmapped_code"] | None = None,
    limit: Limit = None,
    cursor: CursorParam = None,
) -> dict[str, Any]:
    now = utc_now()
    if not principal.roles.isdisjoint(MATCHERS):
        sweep(session, principal.sub, audit.record, now)
    size = page_size(limit)
    rows = inbox_repo.list_items(
        session,
        size=size,
        after_id=row_id_after(cursor),
        state=None if state == "all" else state,
        reason=reason,
    )
    rows, nxt = next_cursor(rows, size, lambda r: Position(r["id"]))
    audit.record("inbox.list", "inbox", state=state, reason=reason, items=len(rows))
    return {"items": [item_view(r) for r in rows], "next_cursor": nxt}


@router.post(
    "/inbox/{item_id}/match",
    response_model=InboxMatchOutcome,
    summary="Match a held feed result to a registered person",
    description=(
        "Stores the held result for `person_external_id` exactly as `POST /results` would "
        "(versions, retries, alerts) and closes the item. An item held for an unmapped code "
        "also needs `test_type`. A LOINC-coded item may only be matched to the test type its "
        "code stands for (a local code to any): else 422 `test_type_contradicts_code`, "
        "audited. Unknown person: 404; unknown item: 404; already matched: "
        "409 `already_matched`; a result that does not fit: 422."
    ),
    responses={409: {"description": "`already_matched`, or a result conflict"}},
)
def match_inbox_item(
    item_id: ItemId, body: InboxMatch, session: DbSession, audit: Audit, principal: Matcher
) -> dict[str, Any] | Response:
    try:
        item, stored = match_item(
            session,
            item_id,
            body.person_external_id,
            body.test_type,
            principal.sub,
            audit.record,
            utc_now(),
        )
    except TestTypeRefused as refused:
        # Nothing was written; the refusal is audited and committed, the answer is still a 422.
        audit.record(
            "inbox.match",
            f"inbox/{item_id}",
            "refused",
            reason=refused.code,
            code=refused.item_code,
            test_type=refused.test_type,
            person=body.person_external_id,
        )
        return problem_response(refused)
    return InboxMatchOutcome.of(item_view(item), result_view(stored))
