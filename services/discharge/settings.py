"""Configuration of the discharge service."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from services.discharge.domain.discharge_rule import RuleWindows
from shared.settings import WardGateSettings


class DischargeSettings(WardGateSettings):
    """Environment for the discharge service (names as in the contract)."""

    service_name: str = "discharge"
    screening_url: str = "http://127.0.0.1:8002"
    screening_timeout_s: float = Field(default=2.0, gt=0, le=60)
    # Connection errors only (nothing was sent); a sent request is never repeated.
    screening_connect_retries: int = Field(default=1, ge=0, le=5)
    # The admission-end sync to screening: fallback poll, longest back-off while it is down.
    wardgate_sync_poll_s: float = Field(default=2.0, gt=0, le=60)
    wardgate_sync_backoff_max_s: float = Field(default=4.0, gt=0, le=600)
    # The discharge rule's windows (the contract's defaults).
    discharge_nucleic_acid_max_age_h: int = Field(default=72, gt=0)
    discharge_antibody_max_age_d: int = Field(default=7, gt=0)
    discharge_positive_lookback_d: int = Field(default=30, gt=0)
    discharge_negatives_apart_h: int = Field(default=24, ge=0)
    # Reviews: a result change that touches a discharge opens its review within this lag.
    wardgate_review_lag_s: float = Field(default=10.0, gt=0)

    def rule_windows(self) -> RuleWindows:
        """The discharge rule's windows as configured."""
        return RuleWindows(
            nucleic_acid_max_age=timedelta(hours=self.discharge_nucleic_acid_max_age_h),
            antibody_max_age=timedelta(days=self.discharge_antibody_max_age_d),
            positive_lookback=timedelta(days=self.discharge_positive_lookback_d),
            negatives_apart=timedelta(hours=self.discharge_negatives_apart_h),
        )
