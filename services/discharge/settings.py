"""Configuration of the discharge service."""

from __future__ import annotations

from shared.settings import WardGateSettings


class DischargeSettings(WardGateSettings):
    """Environment for the discharge service (names as in the contract)."""

    service_name: str = "discharge"
    screening_url: str = "http://127.0.0.1:8002"
    screening_timeout_s: float = 2.0
