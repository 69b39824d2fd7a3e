"""Secrets of the web pages: CSRF tokens before sign-in, signed cookies.

Before sign-in (the sign-in and hospital sign-in forms) CSRF uses the signed double-submit
pattern: a random nonce in an HttpOnly cookie and, in each form, an HMAC of that nonce under
the service's UI secret. Once signed in, the token is bound to the session instead
(`shared.auth.sessions`): an anonymous cookie/token pair is no use against a session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from shared.auth.sessions import SECRET_FILE, ui_secret

__all__ = [
    "SECRET_FILE",
    "csrf_token_for",
    "csrf_valid",
    "mac",
    "new_nonce",
    "seal",
    "ui_secret",
    "unseal",
]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mac(secret: bytes, purpose: str, value: str) -> str:
    """HMAC-SHA256 of `value` for one purpose, base64url."""
    return _b64(hmac.new(secret, f"{purpose}\n{value}".encode(), hashlib.sha256).digest())


def new_nonce() -> str:
    """A fresh random value for a CSRF cookie."""
    return secrets.token_urlsafe(32)


def csrf_token_for(secret: bytes, service: str, nonce: str) -> str:
    """The form token that matches a CSRF cookie nonce."""
    return mac(secret, f"csrf:{service}", nonce)


def csrf_valid(secret: bytes, service: str, nonce: str | None, token: str | None) -> bool:
    """True when the form's token was made for this cookie's nonce."""
    if not nonce or not token or len(token) > 200:
        return False
    return hmac.compare_digest(csrf_token_for(secret, service, nonce), token)


def seal(secret: bytes, purpose: str, data: dict[str, Any], ttl_s: int) -> str:
    """A signed (not encrypted) cookie value carrying `data` until `ttl_s` from now."""
    body = _b64(json.dumps({**data, "exp": int(time.time()) + ttl_s}).encode())
    return f"{body}.{mac(secret, purpose, body)}"


def unseal(secret: bytes, purpose: str, value: str | None) -> dict[str, Any] | None:
    """The data of a value made by `seal`, or None when forged, damaged or expired."""
    if not value or "." not in value or len(value) > 4096:
        return None
    body, _, signature = value.partition(".")
    if not hmac.compare_digest(mac(secret, purpose, body), signature):
        return None
    try:
        data = json.loads(_unb64(body))
    except ValueError:
        return None
    if not isinstance(data, dict) or int(data.get("exp", 0)) < time.time():
        return None
    return data
