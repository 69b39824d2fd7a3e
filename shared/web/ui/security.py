"""Secrets of the web pages: the signing secret, CSRF tokens, signed cookies, sign-in lockout.

CSRF uses the signed double-submit pattern: a random nonce in an HttpOnly cookie and, in
each form, an HMAC of that nonce under the service's UI secret. A forged cross-site form
cannot read the cookie, and an injected cookie is useless without the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shared.settings import WardGateSettings

SECRET_FILE = "ui-secret.key"  # noqa: S105 - a file name, not a secret
MAX_FAILURES = 5
LOCKOUT_S = 15 * 60


def ui_secret(settings: WardGateSettings) -> bytes:
    """WARDGATE_UI_SECRET, else a random key kept (mode 600) in the data dir."""
    if settings.wardgate_ui_secret:
        return settings.wardgate_ui_secret.encode()
    path = Path(settings.wardgate_data_dir) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)  # atomic; when another process won the race, keep its key
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip().encode()


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


class SignInLockout:
    """Failed sign-ins per username: after 5 within 15 minutes, locked for 15 minutes.

    Kept in memory, per process: each service (and each worker) counts on its own, and a
    restart forgets. The table is bounded so random usernames cannot exhaust memory.
    """

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        lockout_s: float = LOCKOUT_S,
        clock: Callable[[], float] = time.monotonic,
        capacity: int = 10_000,
    ) -> None:
        self.max_failures = max_failures
        self.lockout_s = lockout_s
        self._clock = clock
        self._capacity = capacity
        # username -> (failures, first failure at, locked until)
        self._state: OrderedDict[str, tuple[int, float, float]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(username: str) -> str:
        return username.strip().casefold()[:128]

    def locked(self, username: str) -> bool:
        """True while the username is locked out."""
        with self._lock:
            entry = self._state.get(self._key(username))
            return entry is not None and entry[2] > self._clock()

    def failed(self, username: str) -> bool:
        """Count a failure; True when it locks the username out."""
        key, now = self._key(username), self._clock()
        with self._lock:
            failures, first, until = self._state.pop(key, (0, now, 0.0))
            if now - first > self.lockout_s or (until and until <= now):
                failures, first, until = 0, now, 0.0
            failures += 1
            if failures >= self.max_failures:
                until = now + self.lockout_s
            self._state[key] = (failures, first, until)
            while len(self._state) > self._capacity:
                self._state.popitem(last=False)
            return until > now

    def succeeded(self, username: str) -> None:
        """A successful sign-in clears the count."""
        with self._lock:
            self._state.pop(self._key(username), None)
