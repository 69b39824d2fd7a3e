"""Settings shared by every service, read from the contract's environment names."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic_settings import BaseSettings, SettingsConfigDict


class WardGateSettings(BaseSettings):
    """Configuration every WardGate service reads (env names as in the contract)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    service_name: str = "wardgate"
    database_url: str | None = None
    wardgate_data_dir: Path = Path("./data")
    auth_jwks_file: Path | None = None
    auth_public_key_file: Path | None = None
    auth_issuer: str = "wardgate"
    auth_audience: str = "wardgate"
    auth_leeway_s: int = 30
    auth_token_cache_size: int = 4096
    wardgate_timezone: str = "Asia/Shanghai"
    wardgate_log_level: str = "INFO"
    wardgate_service_token: str | None = None

    def resolved_database_url(self) -> str:
        """The configured DATABASE_URL, else a SQLite file for this service in the data dir."""
        if self.database_url:
            return self.database_url
        path = (self.wardgate_data_dir / f"{self.service_name}.db").resolve()
        return f"sqlite:///{path}"

    @property
    def timezone(self) -> ZoneInfo:
        """Hospital local time zone."""
        return ZoneInfo(self.wardgate_timezone)
