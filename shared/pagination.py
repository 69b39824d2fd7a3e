"""Cursor pagination: `{items, next_cursor}`, at most 500 a page, opaque cursors.

One cursor type (`Position`: the id of the row a page ended at, after its time when the list
is ordered by time first) and one validator (`read_cursor`) for every list. A cursor comes
back from the client, so it is input like any other: whatever it decodes to is checked
against the bounds of the column it will be compared with (a BIGINT row id, a 64-character
code, a timestamp that exists in UTC) before it reaches a query; anything else is 422.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, NamedTuple, TypeVar

from fastapi import Query
from pydantic import BaseModel

from shared.errors import Unprocessable, field_error
from shared.fields import is_identifier

MAX_LIMIT = 500
DEFAULT_LIMIT = 50
MAX_CURSOR_LENGTH = 512
MAX_ROW_ID = 2**63 - 1  # BIGINT
_LONGEST_TIME = 40  # "2026-12-07T08:00:00.123456+08:00" is 32

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
    Query(
        description="Opaque cursor from a previous page's `next_cursor`.",
        max_length=MAX_CURSOR_LENGTH,
        pattern=r"^[A-Za-z0-9_-]*$",
    ),
]


def page_size(limit: int | None) -> int:
    """The effective page size for a `limit` query value."""
    return _clamp(limit)


class Position(NamedTuple):
    """Where a page ended: its last row's id, and its sort time for lists ordered by time."""

    id: int | str
    at: datetime | None = None


@dataclass(frozen=True)
class Keyset:
    """What a list's cursors hold: an int row id or a text code, with a time or not."""

    id: type[int] | type[str]
    timed: bool = False


ROW_ID = Keyset(int)
CODE = Keyset(str)
TIME_AND_ROW_ID = Keyset(int, timed=True)
TIME_AND_CODE = Keyset(str, timed=True)


def _invalid(reason: str) -> Unprocessable:
    return Unprocessable(
        f"The cursor is not valid: {reason}. Use a `next_cursor` exactly as a page answered it.",
        code="validation_error",
        errors=[field_error("cursor", reason)],
    )


def encode_cursor(position: Position) -> str:
    """The opaque cursor for a position."""
    document: dict[str, Any] = {"id": position.id}
    if position.at is not None:
        document["at"] = position.at.isoformat()
    raw = json.dumps(document, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """The JSON object a cursor carries (unchecked: use `read_cursor`); 422 when none."""
    if not cursor:
        return None
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise _invalid("too long")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii", "strict")))
    except (ValueError, UnicodeError, binascii.Error, RecursionError) as exc:
        raise _invalid("not a cursor of ours") from exc
    if not isinstance(value, dict):
        raise _invalid("not a cursor of ours")
    return value


def _row_id(value: Any, keyset: Keyset) -> int | str:
    if keyset.id is int:
        if type(value) is not int or not 1 <= value <= MAX_ROW_ID:
            raise _invalid("the row id is out of range")
        return value
    if not isinstance(value, str) or not is_identifier(value):
        raise _invalid("the id is not a code")
    return value


def _instant(value: Any) -> datetime:
    if not isinstance(value, str) or len(value) > _LONGEST_TIME:
        raise _invalid("the time is not a timestamp")
    try:
        at = datetime.fromisoformat(value)
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("naive")
        return at.astimezone(UTC)
    except (ValueError, OverflowError) as exc:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise _invalid("the time is out of range") from exc


def read_cursor(cursor: str | None, keyset: Keyset) -> Position | None:
    """The position a cursor stands for, checked against the list's keyset; 422 otherwise."""
    value = decode_cursor(cursor)
    if value is None:
        return None
    if set(value) != ({"id", "at"} if keyset.timed else {"id"}):
        raise _invalid("not a cursor of this list")
    row_id = _row_id(value["id"], keyset)
    return Position(row_id, _instant(value["at"]) if keyset.timed else None)


def row_id_after(cursor: str | None) -> int | None:
    """The row id a page of a list ordered by id ended at."""
    position = read_cursor(cursor, ROW_ID)
    return None if position is None else int(position.id)


def code_after(cursor: str | None) -> str | None:
    """The code (an external id) a page of a list ordered by code ended at."""
    position = read_cursor(cursor, CODE)
    return None if position is None else str(position.id)


def _timed(position: Position | None) -> tuple[datetime, Any] | None:
    if position is None or position.at is None:
        return None
    return position.at, position.id


def time_and_row_id_after(cursor: str | None) -> tuple[datetime, int] | None:
    """The (time, row id) a page of a list ordered by time then id ended at."""
    return _timed(read_cursor(cursor, TIME_AND_ROW_ID))


def time_and_code_after(cursor: str | None) -> tuple[datetime, str] | None:
    """The (time, code id) a page of a list ordered by time then id ended at."""
    return _timed(read_cursor(cursor, TIME_AND_CODE))


def next_cursor(
    rows: Sequence[T], size: int, position: Callable[[T], Position]
) -> tuple[list[T], str | None]:
    """Trim a `size + 1` fetch to `size` rows and the cursor for the next page."""
    page = list(rows[:size])
    if len(rows) <= size:
        return page, None
    return page, encode_cursor(position(page[-1]))
