"""Positive-result alerts: the body sent to the webhooks, its signature and the retry delay."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

EVENT: Final = "screening.positive_result"
SIGNATURE_HEADER: Final = "X-WardGate-Signature"


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def alert_payload(
    result: Mapping[str, Any], person: Mapping[str, Any], created_at: datetime
) -> dict[str, Any]:
    """The alert document (no names, phones or ID numbers; `exposures` filled by tracing)."""
    return {
        "event": EVENT,
        "created_at": _iso(created_at),
        "person": {
            "external_id": person["external_id"],
            "category": person["category"],
            "department": person["department"],
            "ward": person.get("ward"),
        },
        "result": {
            "external_id": result["external_id"],
            "version": result["version"],
            "test_type": result["test_type"],
            "result": result["result"],
            "status": result["status"],
            "specimen_collected_at": _iso(result["specimen_collected_at"]),
            "resulted_at": _iso(result.get("resulted_at")),
            "loinc": result["loinc"],
        },
        # Exposure tracing fills this in for final positive nucleic-acid results.
        "exposures": None,
    }


def signature(body: bytes, secret: str) -> str:
    """The X-WardGate-Signature header value: sha256=<hex HMAC-SHA256 of the body>."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def retry_delay(attempts: int, base_s: float, cap_s: float) -> timedelta:
    """Exponential backoff after `attempts` failed deliveries: base, 2*base, 4*base... capped."""
    exponent = min(max(attempts - 1, 0), 30)
    return timedelta(seconds=min(base_s * (2**exponent), cap_s))
