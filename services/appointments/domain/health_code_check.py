"""Does a verified health code belong to the patient at the door? (pure rules)

A health code names its holder only masked (`张*`, `L** W**`) and maybe with the last four
characters of the identity number. A code matches a patient when the masked name has the
patient's name's length and every unmasked character is the patient's at that place (case
and surrounding space ignored); and, when the code carries `id_last4` and the patient's id is
an 18-character resident identity number, when its last four are those.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from services.appointments.domain.entry_screening import (
    CheckInOutcome,
    EntryDecision,
    ScreeningReason,
)

RESIDENT_ID = re.compile(r"^[0-9]{17}[0-9Xx]$")


class HealthCodeSource(StrEnum):
    """Where the colour used at the door came from."""

    VERIFIED = "verified"
    MANUAL = "manual"


@dataclass(frozen=True)
class CodeHolder:
    """Who a verified code names: the masked name and maybe the id's last four."""

    name_masked: str
    id_last4: str | None


@dataclass(frozen=True)
class VerifiedColour:
    """A code the verifier accepted."""

    colour: str
    holder: CodeHolder
    valid_until: datetime


def _masked(ch: str) -> bool:
    return ch in "*\uff0a"  # ASCII or full-width asterisk


def name_matches(name_masked: str, patient_name: str) -> bool:
    """True when the masked name could be this patient's name."""
    masked, full = name_masked.strip().casefold(), patient_name.strip().casefold()
    if len(masked) != len(full):
        return False
    return all(_masked(m) or m == f for m, f in zip(masked, full, strict=True))


def id_matches(id_last4: str | None, patient_external_id: str) -> bool:
    """False only when both name an identity number and its last four differ."""
    if id_last4 is None or not RESIDENT_ID.match(patient_external_id):
        return True
    return patient_external_id[-4:].upper() == id_last4.upper()


def holder_mismatch(holder: CodeHolder, patient_name: str, patient_external_id: str) -> str | None:
    """`name` or `id_last4` when the code names someone else; None when it may be them."""
    if not name_matches(holder.name_masked, patient_name):
        return "name"
    if not id_matches(holder.id_last4, patient_external_id):
        return "id_last4"
    return None


INVALID_DETAIL = {
    "bad_signature": "its signature does not verify",
    "expired": "it has expired",
    "unknown_key": "it is signed by a key the hospital does not trust",
    "malformed": "it is not a health-code payload",
    "rejected": "the health-code platform rejected it",
    "name": "it names another person",
    "id_last4": "its identity number is not this patient's",
}


def refuse_invalid_code(
    temperature_c: float, mask: bool, risk_area_travel_14d: bool, fever_c: float, why: str
) -> EntryDecision:
    """An invalid code is refused (never taken as green); the other findings are listed too."""
    detail = INVALID_DETAIL.get(why, why)
    reasons = [ScreeningReason("health_code_invalid", f"The health code is invalid: {detail}.")]
    if temperature_c >= fever_c:
        reasons.append(
            ScreeningReason(
                "fever", f"Temperature {temperature_c:.1f} C is at or above {fever_c} C."
            )
        )
    if risk_area_travel_14d:
        reasons.append(
            ScreeningReason("risk_area_travel", "Travel to a risk area in the last 14 days.")
        )
    if not mask:
        reasons.append(ScreeningReason("no_mask", "No mask is worn."))
    return EntryDecision(CheckInOutcome.REFUSED, tuple(reasons))
