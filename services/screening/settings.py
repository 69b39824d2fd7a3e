"""Configuration of the screening service."""

from __future__ import annotations

from shared.settings import WardGateSettings


class ScreeningSettings(WardGateSettings):
    """Environment for the screening service (names as in the contract)."""

    service_name: str = "screening"
    appointments_url: str = "http://127.0.0.1:8001"
    appointments_timeout_s: float = 2.0
