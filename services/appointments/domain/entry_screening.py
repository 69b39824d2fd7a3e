"""Entry screening at check-in: temperature, mask, health code, travel (pure rule)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class HealthCode(StrEnum):
    """The colour of the patient's health code."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class CheckInOutcome(StrEnum):
    """What happens at the door."""

    ADMITTED = "admitted"
    REDIRECTED_FEVER_CLINIC = "redirected_fever_clinic"
    REFUSED = "refused"


@dataclass(frozen=True)
class EntryReadings:
    """What the desk measured and saw."""

    temperature_c: float
    mask: bool
    health_code: HealthCode
    risk_area_travel_14d: bool


@dataclass(frozen=True)
class ScreeningReason:
    """Why a patient was not admitted."""

    code: str
    detail: str


@dataclass(frozen=True)
class EntryDecision:
    """The outcome and every reason that applied."""

    outcome: CheckInOutcome
    reasons: tuple[ScreeningReason, ...]


def _fever_clinic_reasons(readings: EntryReadings, fever_c: float) -> list[ScreeningReason]:
    reasons = []
    if readings.temperature_c >= fever_c:
        reasons.append(
            ScreeningReason(
                "fever", f"Temperature {readings.temperature_c:.1f} C is at or above {fever_c} C."
            )
        )
    if readings.health_code is not HealthCode.GREEN:
        reasons.append(
            ScreeningReason(
                f"health_code_{readings.health_code.value}",
                f"The health code is {readings.health_code.value}.",
            )
        )
    if readings.risk_area_travel_14d:
        reasons.append(
            ScreeningReason("risk_area_travel", "Travel to a risk area in the last 14 days.")
        )
    return reasons


def screen_at_entry(readings: EntryReadings, fever_threshold_c: float) -> EntryDecision:
    """Fever, a yellow/red code or risk-area travel -> fever clinic; no mask -> refused."""
    reasons = _fever_clinic_reasons(readings, fever_threshold_c)
    no_mask = [] if readings.mask else [ScreeningReason("no_mask", "No mask is worn.")]
    if reasons:
        return EntryDecision(CheckInOutcome.REDIRECTED_FEVER_CLINIC, tuple(reasons + no_mask))
    if no_mask:
        return EntryDecision(CheckInOutcome.REFUSED, tuple(no_mask))
    return EntryDecision(CheckInOutcome.ADMITTED, ())
