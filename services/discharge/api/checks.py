"""POST /discharge-checks: may this patient leave now? (Nothing is discharged.)"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.discharge.api.deps import ClinicalWriter, Screening, Windows
from services.discharge.clients.screening import ScreeningClient
from services.discharge.domain.discharge_rule import RuleWindows
from services.discharge.gate import assess
from services.discharge.models import DischargeCheck
from services.discharge.repository import add_check
from services.discharge.schemas import DischargeCheckCreate, DischargeCheckPublic
from shared.audit import Audit
from shared.auth import Principal
from shared.db import DbSession, in_transaction

router = APIRouter(tags=["discharge checks"])


def check_discharge(
    body: DischargeCheckCreate,
    session: DbSession,
    audit: Audit,
    principal: Principal,
    screening: ScreeningClient,
    windows: RuleWindows,
) -> dict[str, Any]:
    """Decide now and store the check with its evidence (the route and the pages share it)."""
    assessment = assess(screening, principal, body.patient_external_id, windows)
    decision = assessment.decision
    check = add_check(
        session,
        DischargeCheck(
            patient_external_id=body.patient_external_id,
            department=assessment.department,
            eligible=decision.eligible,
            reasons=assessment.reasons(),
            evidence=assessment.evidence,
            rule_version=decision.rule_version,
            actor=principal.sub,
            checked_at=assessment.at,
        ),
    )
    audit.record(
        "discharge.check",
        f"patient/{body.patient_external_id}",
        outcome="eligible" if decision.eligible else "not_eligible",
        check_id=check.id,
        reasons=sorted(decision.codes),
        evidence=[e["result_external_id"] for e in assessment.evidence],
    )
    return {
        "check_id": check.id,
        "patient_external_id": check.patient_external_id,
        "eligible": check.eligible,
        "reasons": check.reasons,
        "evidence": check.evidence,
        "checked_at": check.checked_at,
        "rule_version": check.rule_version,
    }


@router.post(
    "/discharge-checks",
    response_model=DischargeCheckPublic,
    summary="Check whether a patient may be discharged now",
    description=(
        "Evaluates the discharge rule against the patient's results in the screening service"
        " at this moment and stores the check with its evidence (append-only). Always 200:"
        " `eligible` is false with every reason otherwise (`missing`, `expired`, `positive`,"
        " `indeterminate`, `pending`, `needs_two_negatives`, `not_inpatient`,"
        " `unknown_patient`, `screening_unavailable`). Fails closed: when the screening service"
        " cannot answer correctly within `SCREENING_TIMEOUT_S`, the answer is not eligible"
        " with `screening_unavailable`. Roles: integration, nurse, doctor, infection_control."
    ),
    name="check_discharge",
)
async def discharge_check_route(
    body: DischargeCheckCreate,
    session: DbSession,
    audit: Audit,
    principal: ClinicalWriter,
    screening: Screening,
    windows: Windows,
) -> dict[str, Any]:
    # async, with the screening calls, the stored check, its audit row and the commit in one
    # thread-pool hop (a `def` route pays one each for the route, its dependencies, the
    # response validation and the commit).
    return await in_transaction(
        session, lambda: check_discharge(body, session, audit, principal, screening, windows)
    )
