"""API models of isolation (inputs forbid unknown fields)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.screening.domain.isolation import IsolationState
from services.screening.isolation.repository import IsolatedPerson
from services.screening.isolation.service import Isolation
from shared.fields import FreeText, Name
from shared.masking import mask_name
from shared.vocabulary import Category


class IsolateBody(BaseModel):
    """`POST /persons/{id}/isolation`: why the person is isolated by hand."""

    model_config = ConfigDict(extra="forbid")

    reason: Name


class ReleaseBody(BaseModel):
    """`POST /persons/{id}/isolation/release`: an optional note."""

    model_config = ConfigDict(extra="forbid")

    note: FreeText | None = None


class IsolationStatePublic(BaseModel):
    """A person's isolation, as `GET /persons/{id}` carries it, with the person's id."""

    person_external_id: str
    state: IsolationState
    since: datetime | None = None
    reason: str | None = None
    released_at: datetime | None = None

    @classmethod
    def of(cls, isolation: Isolation) -> IsolationStatePublic:
        """The use case's answer as the API gives it."""
        return cls(
            person_external_id=isolation.person_external_id,
            state=isolation.state,
            since=isolation.since,
            reason=isolation.reason,
            released_at=isolation.released_at,
        )


class IsolatedPublic(BaseModel):
    """One person on the isolation list (name masked)."""

    external_id: str
    name: str | None
    category: Category
    department: str
    ward: str | None
    since: datetime
    reason: str
    off_duty: bool = Field(description="Staff: off duty until released.")

    @classmethod
    def of(cls, row: IsolatedPerson) -> IsolatedPublic:
        """A listed person, name masked."""
        return cls(
            external_id=row.external_id,
            name=mask_name(row.name),
            category=Category(row.category),
            department=row.department,
            ward=row.ward,
            since=row.since,
            reason=row.reason,
            off_duty=row.category == Category.STAFF,
        )


class IsolationListPublic(BaseModel):
    """Everyone on the list (no paging: the list is short); `next_cursor` is always null."""

    items: list[IsolatedPublic]
    next_cursor: str | None = None
