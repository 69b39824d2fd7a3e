"""Cursor pagination: `{items, next_cursor}`, at most 500 a page, opaque cursors."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from shared.errors import Unprocessable, field_error

MAX_LIMIT = 500
DEFAULT_LIMIT = 50

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list; `next_cursor` is null on the last page."""

    items: list[T]
    next_cursor: str | None = None


def _clamp(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    return max(1, min(limit, MAX_LIMIT))


Limit = Annotated[
    int | None,
    Query(description="Page size, default 50; values above 500 are capped at 500.", ge=1),
]
CursorParam = Annotated[
    str | None,
    Query(description="Opaque cursor from a previous page's `next_cursor`.", max_length=512),
]


def page_size(limit: int | None) -> int:
    """The effective page size for a `limit` query value."""
    return _clamp(limit)


def encode_cursor(position: dict[str, Any]) -> str:
    """An opaque cursor for the row a page ended at."""
    raw = json.dumps(position, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """The position a cursor stands for; 422 when it was not made by us."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unprocessable(
            "The cursor is not valid.", errors=[field_error("cursor", "invalid cursor")]
        ) from exc
    if not isinstance(value, dict):
        raise Unprocessable("The cursor is not valid.", errors=[field_error("cursor", "invalid")])
    return value


def next_cursor(
    rows: Sequence[T], size: int, position: Callable[[T], dict[str, Any]]
) -> tuple[list[T], str | None]:
    """Trim a `size + 1` fetch to `size` rows and the cursor for the next page."""
    page = list(rows[:size])
    if len(rows) <= size:
        return page, None
    return page, encode_cursor(position(page[-1]))
