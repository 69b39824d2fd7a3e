"""Configuration of the screening service."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import Field

from shared.settings import WardGateSettings


class ScreeningSettings(WardGateSettings):
    """Environment for the screening service (names as in the contract)."""

    service_name: str = "screening"
    appointments_url: str = "http://127.0.0.1:8001"
    appointments_timeout_s: float = 2.0
    # The person page's timeline reads appointments and discharge, each read this long at most.
    discharge_url: str = "http://127.0.0.1:8003"
    wardgate_timeline_timeout_s: float = Field(default=1.5, gt=0)
    # The screening policy (YAML or JSON); the contract's default when unset.
    wardgate_policy_file: Path | None = None
    # Positive-result alerts: comma-separated webhook URLs, the HMAC secret that signs them.
    wardgate_alert_webhooks: str = ""
    wardgate_alert_secret: str | None = None
    wardgate_alert_poll_s: float = 1.0
    wardgate_alert_backoff_s: float = 2.0
    wardgate_alert_backoff_max_s: float = 300.0
    wardgate_alert_timeout_s: float = 5.0
    # How long a worker holds the alert it is delivering; unset: TIMEOUT_S x webhooks + 30.
    wardgate_alert_lease_s: float | None = Field(default=None, gt=0)
    # Exposure tracing: check-ins this close (inclusive) to one of the person's own count.
    wardgate_exposure_contact_minutes: int = Field(default=120, ge=0, le=24 * 60)
    # MLLP: a connection that sends nothing (and reads nothing) this long is closed, so an
    # abandoned half-frame does not keep its buffer.
    wardgate_mllp_idle_s: float = Field(default=60.0, gt=0)
    # Mass testing: at most this many specimens in one pool (10-in-1).
    wardgate_pool_max: int = Field(default=10, ge=2, le=50)
    # Public endpoints (the result lookup): requests a minute per client address.
    wardgate_public_rate_per_min: int = Field(default=10, ge=1)
    # Reports to public health: a FHIR endpoint (and its bearer token) or an MLLP host:port.
    wardgate_report_url: str | None = None
    wardgate_report_token: str | None = None
    wardgate_report_mllp: str | None = None
    # A report is due this many hours after its result reached WardGate.
    wardgate_report_deadline_h: float = Field(default=2.0, gt=0)
    wardgate_report_poll_s: float = Field(default=1.0, gt=0)
    wardgate_report_backoff_s: float = Field(default=2.0, gt=0)
    wardgate_report_backoff_max_s: float = Field(default=300.0, gt=0)
    wardgate_report_timeout_s: float = Field(default=5.0, gt=0)

    def alert_webhooks(self) -> list[str]:
        """The configured webhook URLs, in order."""
        return [u.strip() for u in self.wardgate_alert_webhooks.split(",") if u.strip()]

    @property
    def exposure_contact_reach(self) -> timedelta:
        """How far apart two check-ins to one department may be and still be a contact."""
        return timedelta(minutes=self.wardgate_exposure_contact_minutes)
