"""Positive-result alerts: the body sent to the webhooks, its signature and the retry delay."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol

from shared.vocabulary import COUNTING_STATUSES, ResultValue, TestType

EVENT: Final = "screening.positive_result"
SIGNATURE_HEADER: Final = "X-WardGate-Signature"


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


class AlertedPerson(Protocol):
    """What an alert tells of the person (a person row fits)."""

    @property
    def external_id(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def department(self) -> str: ...
    @property
    def ward(self) -> str | None: ...


def alert_payload(
    result: Mapping[str, Any], person: AlertedPerson, created_at: datetime
) -> dict[str, Any]:
    """The alert document (no names, phones or ID numbers; `exposures` filled by tracing)."""
    return {
        "event": EVENT,
        "created_at": _iso(created_at),
        "person": {
            "external_id": person.external_id,
            "category": person.category,
            "department": person.department,
            "ward": person.ward,
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


# Exposure tracing in alerts: a final positive nucleic-acid result's alert carries the
# exposure list computed when the alert is prepared for delivery. When the appointments
# service cannot be asked, the alert still goes out at once, marked incomplete, and a
# follow-up alert (its own alert id) carries the complete list once it answers.
NO_SERVICE_CREDENTIAL: Final = "no service credential"
APPOINTMENTS_UNAVAILABLE: Final = "appointments_unavailable"
FOLLOW_UP_SUFFIX: Final = "-exposures"
_EXPOSURE_KEYS: Final = ("exposures_complete", "exposures_incomplete_reason", "exposure_window")


def wants_exposures(doc: Mapping[str, Any]) -> bool:
    """True for the alert of a final/corrected positive nucleic-acid result not yet traced."""
    result = doc.get("result") or {}
    return (
        result.get("test_type") == TestType.NUCLEIC_ACID
        and result.get("result") == ResultValue.POSITIVE
        and result.get("status") in COUNTING_STATUSES
        and doc.get("exposures") is None
    )


def is_follow_up(doc: Mapping[str, Any]) -> bool:
    """True for the follow-up that completes an incomplete exposure list."""
    return doc.get("follow_up_of") is not None


class Lacks(Protocol):
    """A required test an exposed person lacks."""

    @property
    def test_type(self) -> str: ...
    @property
    def state(self) -> str: ...


class AlertedExposure(Protocol):
    """What an alert tells of one exposed person (no names)."""

    @property
    def external_id(self) -> str: ...
    @property
    def category(self) -> str | None: ...
    @property
    def why(self) -> Sequence[str]: ...
    @property
    def when(self) -> datetime: ...
    @property
    def status(self) -> str: ...
    @property
    def lacking(self) -> Sequence[Lacks] | None: ...


def with_exposures(
    doc: Mapping[str, Any],
    *,
    window: tuple[datetime, datetime],
    items: Sequence[AlertedExposure],
    complete: bool,
    incomplete_reason: str | None,
) -> dict[str, Any]:
    """The alert with its exposure list (no names: external ids, reasons, times, status)."""
    exposures = [
        {
            "external_id": i.external_id,
            "category": i.category,
            "why": list(i.why),
            "when": _iso(i.when),
            "status": i.status,
            "lacking": None
            if i.lacking is None
            else [{"test_type": x.test_type, "state": x.state} for x in i.lacking],
        }
        for i in items
    ]
    return {
        **doc,
        "exposures": exposures,
        "exposure_window": {"from": _iso(window[0]), "to": _iso(window[1])},
        "exposures_complete": complete,
        "exposures_incomplete_reason": None if complete else incomplete_reason,
    }


def needs_follow_up(doc: Mapping[str, Any]) -> bool:
    """An incomplete list that a later answer of the appointments service can complete."""
    return (
        doc.get("exposures_complete") is False
        and doc.get("exposures_incomplete_reason") != NO_SERVICE_CREDENTIAL
    )


def follow_up_alert(doc: Mapping[str, Any], created_at: datetime) -> dict[str, Any]:
    """The follow-up of a delivered incomplete alert, to be traced again before delivery."""
    base = {k: v for k, v in doc.items() if k not in _EXPOSURE_KEYS}
    alert_id = str(doc.get("alert_id", ""))
    return {
        **base,
        "alert_id": alert_id + FOLLOW_UP_SUFFIX,
        "follow_up_of": alert_id,
        "created_at": _iso(created_at),
        "exposures": None,
    }


def delivery_id(row_id: int, doc: Mapping[str, Any]) -> str:
    """The X-WardGate-Alert-Id receivers dedupe on (a follow-up has its own)."""
    return f"{row_id}{FOLLOW_UP_SUFFIX}" if is_follow_up(doc) else str(row_id)
