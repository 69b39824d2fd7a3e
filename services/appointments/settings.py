"""Configuration of the appointments service."""

from __future__ import annotations

from shared.settings import WardGateSettings


class AppointmentsSettings(WardGateSettings):
    """Environment for the appointments service (names as in the contract)."""

    service_name: str = "appointments"
    screening_url: str = "http://127.0.0.1:8002"
    screening_timeout_s: float = 2.0
