"""Health-code verifiers: `local` (compact JWS, our keys) and the hospital platform over HTTP.

`WARDGATE_HEALTH_CODE_VERIFIER=local` (default) checks payloads against
`WARDGATE_HEALTH_CODE_KEYS` (a JWKS file) or the development health-code key. An http(s) URL
there is the hospital's health-code platform: `POST {"payload": ...}` answered by
`{colour, valid_until, name_masked, id_last4?}` (the code-verification request of GB/T 38963,
adapted), within `WARDGATE_HEALTH_CODE_TIMEOUT_S`. The verifier is built in the app lifespan.

Three answers: the code is valid (`VerifiedColour`), it is not (`CodeInvalid`, never treated
as green), or the verifier could not say (`VerifierDown`: the check-in falls back to the
colour the nurse typed, audited, or answers 503).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

import httpx
from fastapi import Request

from services.appointments.domain.health_code_check import CodeHolder, VerifiedColour
from services.appointments.settings import AppointmentsSettings
from shared.auth.health_codes import (
    COLOURS,
    EXPIRED,
    ID_LAST4,
    INVALID_REASONS,
    MALFORMED,
    MAX_NAME_CHARS,
    MAX_PAYLOAD_CHARS,
    ValidHealthCode,
    health_code_keys,
    verify_health_code,
)
from shared.auth.keys import VerificationKey
from shared.service_client import Deadline, ServiceClient

log = logging.getLogger("wardgate.appointments.health_codes")

# The platform refused the code without one of our reasons.
REJECTED = "rejected"
# Platform answers that say "not this code", as opposed to "we cannot answer now". A 404
# refuses only with a known `reason`: a bare 404 is more likely a wrong verifier URL.
_REFUSING_STATUSES = frozenset({400, 409, 410, 422})


@dataclass(frozen=True)
class CodeInvalid:
    """The payload is not a valid health code: bad_signature, expired, unknown_key,
    malformed or (HTTP platform) rejected."""

    reason: str


@dataclass(frozen=True)
class VerifierDown:
    """The verifier could not be asked (why: timed out, unreachable, answered 503...)."""

    why: str


Verification = VerifiedColour | CodeInvalid | VerifierDown


class HealthCodeVerifier(Protocol):
    """Verifies the text of a scanned health-code QR."""

    kind: str

    def verify(self, payload: str, now: datetime) -> Verification:
        """Valid colour, invalid code, or the verifier is down (never raises for a payload)."""
        ...

    async def close(self) -> None:
        """Release what the verifier holds."""
        ...


class LocalVerifier:
    """Compact JWS payloads checked against fixed keys (no network)."""

    kind = "local"

    def __init__(self, keys: list[VerificationKey]) -> None:
        self._keys = keys

    def verify(self, payload: str, now: datetime) -> Verification:
        """Signature, then expiry, then the claims' shape."""
        checked = verify_health_code(payload, self._keys, now)
        if isinstance(checked, ValidHealthCode):
            holder = CodeHolder(checked.name_masked, checked.id_last4)
            return VerifiedColour(checked.colour, holder, checked.valid_until)
        return CodeInvalid(checked.reason)

    async def close(self) -> None:
        """Nothing to release."""


def _platform_answer(content: bytes, now: datetime) -> Verification:
    doc = json.loads(content)
    if not isinstance(doc, dict):
        raise ValueError("not an object")
    colour, name, until = doc.get("colour"), doc.get("name_masked"), doc.get("valid_until")
    last4 = doc.get("id_last4")
    if colour not in COLOURS or not isinstance(until, str):
        raise ValueError("colour or valid_until missing")
    if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME_CHARS:
        raise ValueError("name_masked missing")
    if last4 is not None and not (isinstance(last4, str) and ID_LAST4.match(last4)):
        raise ValueError("id_last4 malformed")
    valid_until = datetime.fromisoformat(until)
    if valid_until.tzinfo is None:
        raise ValueError("valid_until has no offset")
    if valid_until <= now:
        return CodeInvalid(EXPIRED)
    return VerifiedColour(str(colour), CodeHolder(name, last4), valid_until)


def _reason(content: bytes) -> str | None:
    try:
        doc = json.loads(content)
    except ValueError:
        return None
    reason = doc.get("reason") if isinstance(doc, dict) else None
    return reason if reason in INVALID_REASONS else None


class HttpVerifier:
    """The hospital's health-code platform: one POST per scan, a deadline for the answer."""

    kind = "http"

    def __init__(self, url: str, timeout_s: float, client: ServiceClient | None = None) -> None:
        self._url = url
        self._timeout_s = timeout_s
        # No retry of a POST that may have been sent; connection errors only (never sent).
        self._client = client or ServiceClient(url, retries=1, max_connections=20)

    async def open(self) -> None:
        """Make the pool on the running loop."""
        await self._client.open()

    async def close(self) -> None:
        """Close the pool."""
        await self._client.close()

    def verify(self, payload: str, now: datetime) -> Verification:
        """POST the payload; a refusal is an invalid code, anything else unanswered is down."""
        if not payload.strip() or len(payload) > MAX_PAYLOAD_CHARS:
            return CodeInvalid(MALFORMED)
        body = json.dumps({"payload": payload}).encode()
        try:
            answer = self._client.call_blocking(
                "POST",
                self._url,
                Deadline.after(self._timeout_s),
                headers={"Content-Type": "application/json"},
                content=body,
            )
        except (httpx.ConnectError, httpx.ConnectTimeout):  # aiohttp's refusals map to both
            return self._down("unreachable")
        except httpx.TimeoutException:
            return self._down("timed out")
        except httpx.HTTPError:
            return self._down("unreachable")
        reason = _reason(answer.content) if answer.status_code >= 400 else None
        if answer.status_code in _REFUSING_STATUSES or (answer.status_code == 404 and reason):
            return CodeInvalid(reason or REJECTED)
        if answer.status_code != 200:
            return self._down(f"answered {answer.status_code}")
        try:
            return _platform_answer(answer.content, now)
        except (ValueError, TypeError):
            return self._down("malformed answer")

    @staticmethod
    def _down(why: str) -> VerifierDown:
        log.warning("health-code verifier unavailable: %s", why)
        return VerifierDown(why)


async def build_verifier(settings: AppointmentsSettings) -> HealthCodeVerifier:
    """The configured verifier, opened (called in the app lifespan, never at import)."""
    configured = settings.wardgate_health_code_verifier.strip()
    if configured.lower() == "local":
        keys_file = settings.wardgate_health_code_keys
        keys_path = Path(keys_file) if keys_file else None
        return LocalVerifier(health_code_keys(keys_path, Path(settings.wardgate_data_dir)))
    if configured.startswith(("http://", "https://")):
        verifier = HttpVerifier(configured, settings.wardgate_health_code_timeout_s)
        await verifier.open()
        return verifier
    raise ValueError("WARDGATE_HEALTH_CODE_VERIFIER must be `local` or an http(s) URL")


def health_code_verifier(request: Request) -> HealthCodeVerifier:
    """The app's verifier (a FastAPI dependency; pages call it with their request)."""
    return request.app.state.health_codes  # type: ignore[no-any-return]
