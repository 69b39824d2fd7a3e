"""Post/redirect/get, and a typed form kept across a sign-in when the session ended.

A form posted after its session ended is not lost: its fields travel in a signed, short-lived
browser cookie (a session cookie: never on the server, never in a URL or a log) to the
form's own page, where the shared form macros fill them in once after the sign-in. The
cookie is scoped to the service's pages, lasts at most `KEPT_TTL_S` and is removed when read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from shared.web.ui import security

KEPT_TTL_S = 600
_PURPOSE = "kept-form"
# Never kept: secrets, the CSRF token of the ended session, one-use retry keys.
NOT_KEPT = frozenset({"csrf_token", "password", "retry", "next"})
_LONGEST_COOKIE = 3800  # browsers drop cookies over 4096 bytes; a bigger form is not kept


def kept_cookie_name(service: str) -> str:
    """The cookie holding a kept form on this service."""
    return f"wardgate_kept_{service}"


def seal_form(secret: bytes, target: str, fields: Mapping[str, str]) -> str | None:
    """The cookie value keeping `fields` for the page `target`, or None when too big."""
    kept = {k: v for k, v in fields.items() if k not in NOT_KEPT and isinstance(v, str)}
    if not kept:
        return None
    value = security.seal(secret, _PURPOSE, {"to": target, "f": kept}, KEPT_TTL_S)
    return value if len(value) <= _LONGEST_COOKIE else None


def unseal_form(secret: bytes, value: str | None, here: str) -> dict[str, str] | None:
    """The fields kept for the page `here` (a path), or None (none, forged, expired, other)."""
    data = security.unseal(secret, _PURPOSE, value)
    if data is None or not isinstance(data.get("f"), dict):
        return None
    if urlsplit(str(data.get("to", ""))).path != here:
        return None
    return {str(k): str(v) for k, v in data["f"].items()}


def form_waits(secret: bytes, value: str | None) -> bool:
    """True when `value` keeps a form that has not expired (for the sign-in page's note)."""
    return security.unseal(secret, _PURPOSE, value) is not None


def form_page(referer: str | None, posted_to: str) -> str:
    """Where the form of a post came from: its page (the Referer's path), else the post's."""
    if referer:
        parts = urlsplit(referer)
        if parts.path:
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return posted_to


def kept_value(kept: dict[str, Any] | None, name: str, default: Any) -> Any:
    """A kept field's value, or the page's own."""
    if kept is None or name not in kept:
        return default
    return kept[name]
