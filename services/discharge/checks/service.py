"""The discharge check: decide now, store the check with its evidence, audit it.

The route, the check page and anything else that asks "may this patient leave?" call
`check_discharge`; the discharge use case runs the same assessment (`checks.gate`).
"""

from __future__ import annotations

from services.discharge.checks.gate import assess
from services.discharge.checks.repository import INSERT_CHECK, NewCheck, check_row
from services.discharge.checks.schemas import DischargeCheckPublic
from services.discharge.clients.screening import ScreeningClient
from services.discharge.domain.discharge_rule import RuleWindows
from shared.async_db import AsyncDatabase
from shared.audit.trail import AsyncAuditTrail
from shared.auth import Principal


async def check_discharge(
    db: AsyncDatabase,
    audit: AsyncAuditTrail,
    principal: Principal,
    screening: ScreeningClient,
    windows: RuleWindows,
    patient_external_id: str,
) -> DischargeCheckPublic:
    """Decide now and store the check with its evidence.

    A hot path, async end to end: screening is asked first (no transaction is open while
    waiting on the network), then the check and its audit row are stored and committed."""
    assessment = await assess(screening, principal, patient_external_id, windows)
    decision = assessment.decision
    check = NewCheck(
        patient_external_id=patient_external_id,
        department=assessment.department,
        eligible=decision.eligible,
        reasons=assessment.reasons(),
        evidence=assessment.evidence,
        rule_version=decision.rule_version,
        actor=principal.sub,
        checked_at=assessment.at,
    )
    async with db.transaction(one_statement=True) as tx:  # the check and its audit row
        check_id = await audit.write(
            tx,
            INSERT_CHECK,
            check_row(check),
            "discharge.check",
            f"patient/{patient_external_id}",
            id_key="check_id",
            outcome="eligible" if decision.eligible else "not_eligible",
            reasons=sorted(decision.codes),
            evidence=[e["result_external_id"] for e in assessment.evidence],
        )
    return DischargeCheckPublic.model_validate(
        {
            "check_id": check_id,
            "patient_external_id": check.patient_external_id,
            "eligible": check.eligible,
            "reasons": check.reasons,
            "evidence": check.evidence,
            "checked_at": check.checked_at,
            "rule_version": check.rule_version,
        }
    )
