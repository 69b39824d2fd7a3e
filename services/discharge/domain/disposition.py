"""What a discharge attempt becomes: discharged, an audited exception, or blocked."""

from __future__ import annotations

from services.discharge.domain.discharge_rule import (
    SCREENING_UNAVAILABLE,
    UNKNOWN_PATIENT,
    DischargeDecision,
)

DISCHARGED = "discharged"
BLOCKED = "blocked"
EXCEPTION = "exception"
ROUTINE_DISPOSITIONS = ("home", "transfer")
EXCEPTION_DISPOSITIONS = ("designated_hospital", "death")
# Not even an exception proceeds without knowing who the patient is and which admission ends.
ALWAYS_BLOCKING = frozenset({UNKNOWN_PATIENT, SCREENING_UNAVAILABLE})


def discharge_outcome(disposition: str, decision: DischargeDecision) -> str:
    """`discharged` only when eligible; exceptions override the clinical reasons only."""
    if decision.codes & ALWAYS_BLOCKING:
        return BLOCKED
    if disposition in EXCEPTION_DISPOSITIONS:
        return EXCEPTION
    return DISCHARGED if decision.eligible else BLOCKED
