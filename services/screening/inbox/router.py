"""The inbox of feed results that could not be stored: list them, match them to a person."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Response

from services.screening.inbox.schemas import (
    InboxItemPublic,
    InboxMatch,
    InboxMatchOutcome,
    item_view,
)
from services.screening.inbox.service import TestTypeRefused, list_items, match_item
from services.screening.results.schemas import result_public
from services.screening.web import utc_now
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
        "and only the birth year is shown. Listing writes nothing but its audit row: items "
        "whose person was registered while they were being held are matched when the next "
        "item is held or matched. Auditors and admins read."
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
    size = page_size(limit)
    rows = list_items(
        session, audit, state=state, reason=reason, size=size, after_id=row_id_after(cursor)
    )
    rows, nxt = next_cursor(rows, size, lambda r: Position(r.id))
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
        matched = match_item(
            session,
            item_id,
            body.person_external_id,
            body.test_type,
            principal.sub,
            audit,
            utc_now(),
        )
    except TestTypeRefused as refused:
        # Nothing was stored; answered, not raised, so that the refusal's audit row commits.
        return problem_response(refused)
    return InboxMatchOutcome.of(item_view(matched.item), result_public(matched.result))
