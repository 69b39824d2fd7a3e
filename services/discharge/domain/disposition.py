"""What a discharge attempt becomes: discharged, an audited exception, or blocked."""

from __future__ import annotations

from services.discharge.domain.discharge_rule import (
    SCREENING_UNAVAILABLE,
    UNKNOWN_PATIENT,
    DischargeDecision,
)
from shared.vocabulary import Disposition, Outcome

# Dispositions only infection control may record, with a reason, whatever the rule says.
EXCEPTION_DISPOSITIONS = frozenset({Disposition.DESIGNATED_HOSPITAL, Disposition.DEATH})
# Not even an exception proceeds without knowing who the patient is and which admission ends.
ALWAYS_BLOCKING = frozenset({UNKNOWN_PATIENT, SCREENING_UNAVAILABLE})


def discharge_outcome(disposition: Disposition, decision: DischargeDecision) -> Outcome:
    """`discharged` only when eligible; exceptions override the clinical reasons only."""
    if decision.codes & ALWAYS_BLOCKING:
        return Outcome.BLOCKED
    if disposition in EXCEPTION_DISPOSITIONS:
        return Outcome.EXCEPTION
    return Outcome.DISCHARGED if decision.eligible else Outcome.BLOCKED
