"""Who a feed's unit is about, and the text and identifiers a feed may be trusted with."""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.fields import is_identifier

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_text(value: str | None, limit: int) -> str | None:
    """Text safe to keep: control characters (NUL included) removed, length bounded."""
    if value is None:
        return None
    cleaned = _CONTROL.sub(" ", value).strip()
    return cleaned[:limit] or None


def usable_identifier(value: str | None) -> bool:
    """True when `value` can be a person or result external id."""
    return value is not None and is_identifier(value)


@dataclass
class Patient:
    """The person a unit is about, as the sender identifies them."""

    identifiers: list[str]
    name: str | None = None
    birth_date: str | None = None
