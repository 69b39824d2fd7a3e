"""Refuse a query string that carries control characters, before any route or page runs.

No code, name, date or cursor holds a NUL, an escape or a line break, and PostgreSQL refuses
NUL in text outright (a 500, or a CSV export cut short once its first bytes were sent). One
check here covers every parameter of every API route and web page of a service, including
parameters a route does not declare: 422 problem+json naming the parameter.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from shared.errors import Unprocessable, field_error

# C0 controls, DEL and C1 controls (a percent-escaped UTF-8 sequence may decode to any).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_RAW_SUSPECT = re.compile(rb"[%\x00-\x1f\x7f-\xff]")


def control_character_parameter(query_string: bytes) -> str | None:
    """The name of the first parameter whose name or value holds a control character."""
    if not _RAW_SUSPECT.search(query_string):
        return None  # no escape and no raw control byte: nothing can decode to one
    # As Starlette reads it (latin-1, then percent-escapes as UTF-8), so what is checked is
    # exactly what a route would see.
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if _CONTROL.search(name) or _CONTROL.search(value):
            return name
    return None


def _problem(name: str) -> Unprocessable:
    shown = name.encode("unicode_escape").decode("ascii")  # never a raw control character
    return Unprocessable(
        f"The query parameter `{shown}` holds a control character (such as NUL);"
        " none is allowed in a query string.",
        code="validation_error",
        errors=[
            {
                **field_error(f"query.{shown}", "control characters are not allowed"),
                "loc": ["query", shown],
            }
        ],
    )


def query_refusal(query_string: bytes) -> Unprocessable | None:
    """The 422 for a query string with a control character anywhere in it; None if clean.

    Asked by the request middleware for every request (one layer less on every hot path than
    a middleware of its own)."""
    if not query_string:
        return None
    name = control_character_parameter(query_string)
    return _problem(name) if name is not None else None
