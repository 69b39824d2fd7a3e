"""Bounded input types from the contract: identifiers 64, names 200, free text 2,000, and
ISO 8601 timestamps with an offset."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    StringConstraints,
    WithJsonSchema,
)

# C0 control characters but tab, line feed and carriage return (a regex: a per-character
# Python loop cost ~20 us an item in a 5,000-result batch).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _printable(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("control characters (such as NUL) are not allowed")
    return value


def _no_line_breaks(value: str) -> str:
    if "\r" in value or "\n" in value or "\t" in value:
        raise ValueError("line breaks and tabs are not allowed")
    return value


# The contract's identifier (external ids, departments, wards, codes): 1-64 characters, a
# letter or digit first, then letters, digits and . _ : - /. The one definition: path
# parameters, query filters, cursors, pages and feeds all use these three names.
IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\-/]{0,63}$"
IDENTIFIER_RE = re.compile(IDENTIFIER_PATTERN)


def is_identifier(value: str) -> bool:
    """True when `value` is a contract identifier."""
    return IDENTIFIER_RE.fullmatch(value) is not None


Identifier = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN),
]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_printable),
    AfterValidator(_no_line_breaks),
]
FreeText = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_printable)]
Phone = Annotated[str, StringConstraints(min_length=3, max_length=32, pattern=r"^\+?[0-9 ()\-]+$")]


def _iso_8601_only(value: Any) -> Any:
    # Pydantic reads numbers (and numeric strings) as Unix time; the contract speaks ISO 8601.
    if isinstance(value, bool | int | float):
        raise ValueError("must be an ISO 8601 timestamp with an offset, not a number")
    if isinstance(value, str):
        if ":" in value:  # never a number; the common case, so no float() attempt
            return value
        try:
            float(value)
        except ValueError:
            return value
        raise ValueError("must be an ISO 8601 timestamp with an offset, not a number")
    return value


def _in_utc(value: datetime) -> datetime:
    # The same instant with the standard library's UTC: pydantic's own tzinfo answers every
    # utcoffset() through a Python call, which made each later comparison or conversion cost
    # ~3 us (a quarter of a 5,000-result batch's checks).
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-01:00 is past the year 9999 in UTC
        raise ValueError("is out of range once converted to UTC") from None


# A timestamp in input: ISO 8601 with an offset (naive -> 422, a Unix number -> 422), held
# in UTC from then on.
Timestamp = Annotated[AwareDatetime, BeforeValidator(_iso_8601_only), AfterValidator(_in_utc)]


def _written_2000_to_2099(value: datetime) -> datetime:
    # The year as written, before any conversion: exactly what the documented pattern says,
    # so a client (or a fuzzer) holding to the document is never refused, and UTC is reached
    # without overflow whatever the offset.
    if not 2000 <= value.year <= 2099:
        raise ValueError("must lie between the years 2000 and 2099")
    return value


# A timestamp bounding a clinical search (a window of contacts): ISO 8601 with an offset,
# written with a year from 2000 to 2099, held in UTC.
PlausibleTimestamp = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_8601_only),
    AfterValidator(_written_2000_to_2099),
    AfterValidator(_in_utc),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": "^20[0-9]{2}-"}),
]
