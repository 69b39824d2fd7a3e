"""Reading one stored discharge check back (the check page after its post/redirect/get).

A stored check is shown exactly as it was decided: reloading its page never asks screening
again nor stores another check.
"""

from __future__ import annotations

from sqlmodel import Session

from services.discharge.checks.schemas import DischargeCheckPublic
from services.discharge.models import DischargeCheck
from shared.audit import AuditTrail
from shared.errors import NotFound


def read_check(session: Session, audit: AuditTrail, check_id: int) -> DischargeCheckPublic:
    """One stored check with its reasons and evidence (404 when there is none)."""
    check = session.get(DischargeCheck, check_id)
    if check is None or check.id is None:
        raise NotFound(f"There is no discharge check {check_id}.")
    audit.record("discharge.check.read", f"check/{check_id}", patient=check.patient_external_id)
    return DischargeCheckPublic.model_validate(
        {
            "check_id": check.id,
            "patient_external_id": check.patient_external_id,
            "eligible": check.eligible,
            "reasons": check.reasons,
            "evidence": check.evidence,
            "checked_at": check.checked_at,
            "rule_version": check.rule_version,
        }
    )
