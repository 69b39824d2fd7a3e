"""Settings shared by every service, read from the contract's environment names."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _items(value: str) -> list[str]:
    return [p.strip() for p in value.split(",") if p.strip()]


class WardGateSettings(BaseSettings):
    """Configuration every WardGate service reads (env names as in the contract)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    service_name: str = "wardgate"
    database_url: str | None = None
    # A read replica (hot standby) of DATABASE_URL for auditors' queries (GET /audit); unset:
    # they read the primary. Replica lag shows as the newest rows appearing a little later.
    database_read_url: str | None = None
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
    # A discharge reaches screening within this many seconds (the contract's sync lag).
    wardgate_sync_lag_s: float = 10.0
    wardgate_audit_seal_interval_s: float = 1.0
    # Peers whose X-Forwarded-For is believed (comma-separated IPs or CIDRs, e.g. the
    # gateway's). Empty: nobody's; the audit's client address is then the TCP peer.
    wardgate_trusted_proxies: str = ""
    # Unauthenticated denials are audited as counted rows per client address and minute;
    # this many (address, minute, outcome) tallies are held at most (memory bound), the rest
    # are counted under client "*".
    wardgate_audit_denial_tallies: int = 10_000
    # Receives each `wardgate audit checkpoint` by POST (the off-box copy); unset: file only.
    wardgate_audit_checkpoint_url: str | None = None
    # PostgreSQL connection pool of each service process (docs/scaling.md sizes them).
    wardgate_db_pool_size: int = 10
    wardgate_db_max_overflow: int = 10
    wardgate_db_pool_pre_ping: bool = False
    wardgate_db_pool_recycle_s: int = 1800
    # How long a request waits for a free pooled connection before answering 503.
    wardgate_db_pool_timeout_s: float = 10.0
    # Reads (GET/HEAD) commit their audit rows without waiting for the WAL flush (PostgreSQL).
    wardgate_audit_reads_async_commit: bool = True
    # Web pages: where each service is reached by browsers (the nav bar links them; a path
    # such as http://gateway/screening is honoured for the service's own links too).
    wardgate_appointments_public_url: str = "http://127.0.0.1:8001"
    wardgate_screening_public_url: str = "http://127.0.0.1:8002"
    wardgate_discharge_public_url: str = "http://127.0.0.1:8003"
    wardgate_default_language: str = "zh_CN"
    # Local accounts for the web sign-in (argon2 hashes), default <data dir>/users.json.
    wardgate_users_file: Path | None = None
    # Signs CSRF tokens and the OIDC sign-in state; default a key file in the data dir.
    wardgate_ui_secret: str | None = None
    # Web sessions and failed sign-ins, shared by the services that share the users file
    # (default web-sessions.db beside it); see shared/auth/sessions.py, docs/security.md.
    wardgate_session_store: Path | None = None
    wardgate_session_token_ttl_s: int = 300  # the session cookie's short token (max 300)
    wardgate_sign_in_max_failures: int = 5  # one account from one address
    wardgate_sign_in_address_max_failures: int = 20  # any accounts from one address
    wardgate_sign_in_account_max_failures: int = 20  # one account from any addresses
    wardgate_sign_in_lockout_s: int = 900  # the window and the longest hold (max 900)
    # A private key (PEM) local sign-in signs with when an external IdP's keys are trusted;
    # its public half must be in AUTH_JWKS_FILE. Without external keys the dev key is used.
    auth_local_signing_key_file: Path | None = None
    # "Sign in with hospital account" (OIDC authorization-code flow with PKCE).
    auth_oidc_issuer: str | None = None
    auth_oidc_client_id: str | None = None
    auth_oidc_client_secret: str | None = None
    auth_oidc_scope: str = "openid profile email"

    @field_validator("wardgate_trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        """Refuse a typo at startup: uvicorn would silently trust a literal host name."""
        return ",".join(str(ipaddress.ip_network(p.strip(), strict=False)) for p in _items(value))

    def uvicorn_proxy_flags(self) -> list[str]:
        """uvicorn's flags for WARDGATE_TRUSTED_PROXIES (none set: X-Forwarded-* ignored)."""
        if not self.wardgate_trusted_proxies:
            return ["--no-proxy-headers"]
        return ["--proxy-headers", "--forwarded-allow-ips", self.wardgate_trusted_proxies]

    def resolved_database_url(self) -> str:
        """The configured DATABASE_URL, else a SQLite file for this service in the data dir."""
        if self.database_url:
            return self.database_url
        path = (self.wardgate_data_dir / f"{self.service_name}.db").resolve()
        return f"sqlite:///{path}"

    def users_path(self) -> Path:
        """WARDGATE_USERS_FILE, else users.json in the data dir."""
        return self.wardgate_users_file or self.wardgate_data_dir / "users.json"

    def public_urls(self) -> dict[str, str]:
        """Each service's public base URL (no trailing slash), for the web pages."""
        return {
            "appointments": self.wardgate_appointments_public_url.rstrip("/"),
            "screening": self.wardgate_screening_public_url.rstrip("/"),
            "discharge": self.wardgate_discharge_public_url.rstrip("/"),
        }

    @property
    def timezone(self) -> ZoneInfo:
        """Hospital local time zone."""
        return ZoneInfo(self.wardgate_timezone)
