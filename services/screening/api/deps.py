"""What the screening routers share: path parameters, the active policy, masking by role."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request

from services.screening.domain.masking import mask_id_number, mask_phone
from services.screening.domain.policy import ScreeningPolicy
from shared.auth import Principal
from shared.auth.roles import WARD_STAFF
from shared.errors import Unprocessable, field_error
from shared.pagination import decode_cursor

_IDENTIFIER = r"^[A-Za-z0-9][A-Za-z0-9._:\-/]*$"
_MAX_ROW_ID = 2**63 - 1

PersonId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        pattern=_IDENTIFIER,
        description="The person's external id (from the HIS).",
    ),
]
CodeFilter = Annotated[
    str | None, Query(min_length=1, max_length=64, pattern=_IDENTIFIER, description="A code.")
]


def _bad_cursor() -> Unprocessable:
    return Unprocessable(
        "The cursor is not valid.",
        code="validation_error",
        errors=[field_error("cursor", "invalid cursor")],
    )


def cursor_after(cursor: str | None) -> str | None:
    """The external id a page of persons ended at (422 for a cursor we did not make)."""
    position = decode_cursor(cursor)
    if position is None:
        return None
    after = position.get("after")
    if not isinstance(after, str) or len(after) > 64 or not re.fullmatch(_IDENTIFIER, after):
        raise _bad_cursor()
    return after


def cursor_row_id(cursor: str | None) -> int | None:
    """The row id a page of results ended at (422 for a cursor we did not make)."""
    position = decode_cursor(cursor)
    if position is None:
        return None
    row_id = position.get("id")
    if isinstance(row_id, bool) or not isinstance(row_id, int) or not 0 < row_id <= _MAX_ROW_ID:
        raise _bad_cursor()
    return row_id


async def _policy(request: Request) -> ScreeningPolicy:
    policy: ScreeningPolicy = request.app.state.policy
    return policy


ActivePolicy = Annotated[ScreeningPolicy, Depends(_policy)]


def utc_now() -> datetime:
    """The current time (UTC)."""
    return datetime.now(UTC)


def sees_identity(principal: Principal) -> bool:
    """Ward staff may see full phone and ID numbers on a single person's record."""
    return not principal.roles.isdisjoint(WARD_STAFF)


def person_view(row: dict[str, Any], *, full: bool) -> dict[str, Any]:
    """A person row as answered: phone and ID number masked unless `full`."""
    view = dict(row)
    if not full:
        view["phone"] = mask_phone(row.get("phone"))
        view["id_number"] = mask_id_number(row.get("id_number"))
    return view


def result_view(row: dict[str, Any]) -> dict[str, Any]:
    """A stored version as answered, with what it replaces."""
    view = dict(row)
    replaces = row.get("replaces_version")
    view["replaces"] = (
        {"external_id": row["external_id"], "version": replaces} if replaces is not None else None
    )
    return view
