"""What the screening routers share: path and query parameters, the active policy, the clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Path, Query, Request

from services.screening.domain.policy import ScreeningPolicy
from shared.fields import IDENTIFIER_PATTERN

PersonId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        pattern=IDENTIFIER_PATTERN,
        description="The person's external id (from the HIS).",
    ),
]
CodeFilter = Annotated[
    str | None,
    Query(min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN, description="A code."),
]


async def _policy(request: Request) -> ScreeningPolicy:
    policy: ScreeningPolicy = request.app.state.policy
    return policy


ActivePolicy = Annotated[ScreeningPolicy, Depends(_policy)]


def utc_now() -> datetime:
    """The current time (UTC)."""
    return datetime.now(UTC)
