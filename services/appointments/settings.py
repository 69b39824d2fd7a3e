"""Configuration of the appointments service."""

from __future__ import annotations

from shared.settings import WardGateSettings


class AppointmentsSettings(WardGateSettings):
    """Environment for the appointments service (names as in the contract)."""

    service_name: str = "appointments"
    screening_url: str = "http://127.0.0.1:8002"
    screening_timeout_s: float = 2.0
    # Virtual ward visits: at most this many per ward per 30-minute window.
    wardgate_virtual_visit_capacity: int = 2
    # `{room}` is replaced by an unguessable room name (secrets.token_urlsafe).
    wardgate_video_url_template: str = "https://meet.jit.si/wardgate-{room}"
    # Entry screening at check-in: a temperature at or above this is a fever.
    wardgate_fever_threshold_c: float = 37.3
    # Patients may check in this many minutes before their slot starts (until it ends).
    wardgate_arrival_early_minutes: int = 15
    # The entrance: `local` (compact JWS, keys from WARDGATE_HEALTH_CODE_KEYS or the development
    # key) or the http(s) URL of the hospital's health-code platform; its timeout.
    wardgate_health_code_verifier: str = "local"
    wardgate_health_code_keys: str | None = None
    wardgate_health_code_timeout_s: float = 2.0
    # Public endpoints (test requests): requests a minute per client address.
    wardgate_public_rate_per_min: int = 10
    # HMAC key of residents' person ids (keyed hash of the ID number); unset: a random key
    # kept in <data dir>/person-id.key. Never change it once residents have booked.
    wardgate_person_id_key: str | None = None
