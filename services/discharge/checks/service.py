"""The discharge check: decide now, store the check with its evidence, audit it.

The route, the check page and anything else that asks "may this patient leave?" call
`check_discharge`; the discharge use case runs the same assessment (`checks.gate`). A check
of an admission the discharge service already ended answers `already_discharged`: its own
record of the admission decides (no wait for the sync to screening), folded into the write.
"""

from __future__ import annotations

from typing import Any

from services.discharge.checks.gate import Assessment, assess
from services.discharge.checks.repository import (
    ADMISSION_ENDED,
    ALREADY_DISCHARGED,
    INSERT_CHECK,
    NO_ADMISSION,
    NewCheck,
    check_row,
    check_with_audit_row,
)
from services.discharge.checks.schemas import DischargeCheckPublic
from services.discharge.clients.screening import ScreeningClient
from services.discharge.domain.discharge_rule import RuleWindows
from shared.async_db import AsyncDatabase, Transaction
from shared.audit.trail import AsyncAuditTrail
from shared.auth import Principal

ACTION = "discharge.check"
CLOSED_REASONS: list[dict[str, Any]] = [
    {"code": ALREADY_DISCHARGED, "detail": "This admission already ended with a discharge."}
]


def _closed(check: NewCheck) -> NewCheck:
    return NewCheck(
        patient_external_id=check.patient_external_id,
        department=check.department,
        eligible=False,
        reasons=CLOSED_REASONS,
        evidence=check.evidence,
        rule_version=check.rule_version,
        actor=check.actor,
        checked_at=check.checked_at,
    )


def _audit_detail(check: NewCheck) -> dict[str, Any]:
    return {
        "reasons": sorted({r["code"] for r in check.reasons}),
        "evidence": [e["result_external_id"] for e in check.evidence],
    }


def _outcome(check: NewCheck) -> str:
    return "eligible" if check.eligible else "not_eligible"


async def _store_sqlite(
    tx: Transaction, audit: AsyncAuditTrail, check: NewCheck, key: str
) -> tuple[int, bool]:
    found = await tx.rows(
        ADMISSION_ENDED, {"patient_external_id": check.patient_external_id, "admission_key": key}
    )
    ended = bool(found[0][0])
    check = _closed(check) if ended else check
    resource = f"patient/{check.patient_external_id}"
    check_id = await audit.write(
        tx, INSERT_CHECK, check_row(check), ACTION, resource,
        id_key="check_id", outcome=_outcome(check), **_audit_detail(check),
    )  # fmt: skip
    return check_id, ended


async def _store_postgres(
    tx: Transaction, audit: AsyncAuditTrail, check: NewCheck, key: str
) -> tuple[int, bool]:
    resource = f"patient/{check.patient_external_id}"
    closed = _closed(check)
    row = audit.row(ACTION, resource, _outcome(check), **_audit_detail(check))
    closed_row = audit.row(ACTION, resource, _outcome(closed), **_audit_detail(closed))
    params: dict[str, Any] = {**check_row(check), "admission_key": key}
    params["reasons_closed"] = CLOSED_REASONS
    params.update({f"row_{k}": v for k, v in row.items()})
    params["row_outcome_closed"] = closed_row["outcome"]
    params["row_detail_closed"] = closed_row["detail"]
    found = await tx.rows(check_with_audit_row(audit.table), params)
    return int(found[0][0]), bool(found[0][1])


async def check_discharge(
    db: AsyncDatabase,
    audit: AsyncAuditTrail,
    principal: Principal,
    screening: ScreeningClient,
    windows: RuleWindows,
    patient_external_id: str,
) -> DischargeCheckPublic:
    """Decide now and store the check with its evidence (`already_discharged` once the
    admission ended).

    A hot path, async end to end: screening is asked first (no transaction is open while
    waiting on the network), then the check and its audit row are stored and committed, in
    one statement on PostgreSQL."""
    assessment = await assess(screening, principal, patient_external_id, windows)
    check = _new_check(assessment, principal)
    key = assessment.admission_key if assessment.record is not None else NO_ADMISSION
    async with db.transaction(one_statement=True) as tx:  # the check and its audit row
        store = _store_postgres if tx.postgres else _store_sqlite
        check_id, ended = await store(tx, audit, check, key)
    if ended:
        check = _closed(check)
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


def _new_check(assessment: Assessment, principal: Principal) -> NewCheck:
    decision = assessment.decision
    return NewCheck(
        patient_external_id=assessment.patient_external_id,
        department=assessment.department,
        eligible=decision.eligible,
        reasons=assessment.reasons(),
        evidence=assessment.evidence,
        rule_version=decision.rule_version,
        actor=principal.sub,
        checked_at=assessment.at,
    )
