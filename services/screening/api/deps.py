"""What the screening routers share: path parameters, the active policy, masking by role."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request

from services.screening.domain.masking import mask_id_number, mask_phone
from services.screening.domain.policy import ScreeningPolicy
from shared.auth import Principal
from shared.auth.roles import WARD_STAFF

_IDENTIFIER = r"^[A-Za-z0-9][A-Za-z0-9._:\-/]*$"

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
