"""POST /discharges: the gate itself. Every attempt is stored, whatever its outcome."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session

from services.discharge.api.deps import ClinicalWriter, HospitalZone, Screening, Windows
from services.discharge.domain.discharge_rule import SCREENING_UNAVAILABLE
from services.discharge.domain.disposition import (
    BLOCKED,
    EXCEPTION_DISPOSITIONS,
    discharge_outcome,
)
from services.discharge.gate import Assessment, assess
from services.discharge.models import Discharge, idempotency_key
from services.discharge.repository import AlreadyDischarged, add_discharge, final_discharge
from services.discharge.schemas import DischargeCreate, DischargePublic
from shared.audit import Audit, AuditTrail
from shared.auth import Principal
from shared.auth.roles import INFECTION_CONTROL
from shared.db import DbSession
from shared.errors import (
    Conflict,
    Forbidden,
    Problem,
    ServiceUnavailable,
    Unprocessable,
    field_error,
)
from shared.idempotency import IdempotencyKeyHeader, IdempotentRequest, fingerprint
from shared.web.problems import problem_response

router = APIRouter(tags=["discharges"])

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
DESCRIPTION = """\
`home` / `transfer` (integration, nurse, doctor, infection_control): the discharge rule is
evaluated again now against the screening service. Eligible -> 201 `outcome: discharged` with
the evidence stored exactly as seen. Not eligible -> 409 problem+json with every `reason`, and
the attempt is stored as `blocked`. Screening unreachable or answering wrongly within
`SCREENING_TIMEOUT_S` -> 503 `screening_unavailable` and a stored `blocked` attempt: the gate
never discharges on missing evidence.

`designated_hospital` / `death`: infection_control only (403 otherwise), `reason` required
(422 otherwise); stored as `outcome: exception` with the rule's reasons recorded, not blocking.
An exception still needs the screening service to know the patient (unknown -> 409, unreachable
-> 503), so the admission it ends is known.

One discharge (or exception) per admission, the admission being the person's `admitted_at` in
the screening service: a second one -> 409 `already_discharged`, also when two arrive at once
(a unique index decides). `Idempotency-Key` replays the first answer (201 or 409) for the same
caller, key and body; a 503 leaves no key behind, so the same key may be retried.
"""


def discharge_document(discharge: Discharge) -> dict[str, Any]:
    """The public JSON shape of a stored attempt."""
    return DischargePublic.model_validate(discharge, from_attributes=True).model_dump(mode="json")


def _authorize_disposition(body: DischargeCreate, principal: Principal) -> None:
    if body.disposition not in EXCEPTION_DISPOSITIONS:
        return
    if INFECTION_CONTROL not in principal.roles:
        raise Forbidden(
            f"A {body.disposition} discharge is an exception only infection_control may record.",
            code="forbidden",
        )
    if body.reason is None or not body.reason.strip():
        raise Unprocessable(
            f"A {body.disposition} discharge needs a reason.",
            code="validation_error",
            errors=[field_error("reason", "required for designated_hospital and death")],
        )


def _attempt(
    assessment: Assessment,
    body: DischargeCreate,
    principal: Principal,
    outcome: str,
    zone: ZoneInfo,
) -> Discharge:
    return Discharge(
        patient_external_id=body.patient_external_id,
        admission_key=assessment.admission_key,
        department=assessment.department,
        ward=assessment.ward,
        disposition=body.disposition,
        outcome=outcome,
        reason=body.reason,
        reasons=assessment.reasons(),
        evidence=assessment.evidence,
        rule_version=assessment.decision.rule_version,
        actor=principal.sub,
        created_at=assessment.at,
        hospital_day=assessment.at.astimezone(zone).date(),
    )


def _already_discharged(session: Session, attempt: Discharge, first_id: int | None) -> Problem:
    detail = "This admission already ended with a discharge" + (
        f" (id {first_id})." if first_id else "."
    )
    reason = {"code": "already_discharged", "detail": detail}
    attempt.outcome, attempt.reasons = BLOCKED, [reason]
    stored = add_discharge(session, attempt)
    return Conflict(
        detail, code="already_discharged", reasons=[reason], extra={"attempt_id": stored.id}
    )


def _blocked(assessment: Assessment, stored: Discharge) -> Problem:
    extra = {"attempt_id": stored.id, "evidence": stored.evidence}
    if SCREENING_UNAVAILABLE in assessment.decision.codes:
        return ServiceUnavailable(
            "The screening service could not be consulted; the patient was not discharged.",
            code="screening_unavailable",
            reasons=stored.reasons,
            headers={"Retry-After": "5"},
            extra=extra,
        )
    return Conflict(
        "The patient may not be discharged now: see `reasons`.",
        code="not_eligible",
        reasons=stored.reasons,
        extra=extra,
    )


def _store(
    session: Session,
    assessment: Assessment,
    body: DischargeCreate,
    principal: Principal,
    zone: ZoneInfo,
) -> tuple[Discharge, Problem | None]:
    """Store the attempt; the problem to answer with unless it discharged."""
    outcome = discharge_outcome(body.disposition, assessment.decision)
    attempt = _attempt(assessment, body, principal, outcome, zone)
    if assessment.record is not None:
        first = final_discharge(session, body.patient_external_id, assessment.admission_key)
        if first is not None:
            return attempt, _already_discharged(session, attempt, first)
    if outcome == BLOCKED:
        stored = add_discharge(session, attempt)
        return stored, _blocked(assessment, stored)
    try:
        return add_discharge(session, attempt), None
    except AlreadyDischarged:  # a concurrent discharge of the same admission won
        attempt = _attempt(assessment, body, principal, BLOCKED, zone)
        return attempt, _already_discharged(session, attempt, None)


def _audit(audit: AuditTrail, attempt: Discharge, problem: Problem | None) -> None:
    audit.record(
        "discharge.attempt",
        f"patient/{attempt.patient_external_id}",
        outcome=attempt.outcome if problem is None else f"{attempt.outcome}:{problem.code}",
        discharge_id=attempt.id,
        disposition=attempt.disposition,
        reasons=[r["code"] for r in attempt.reasons],
        evidence=[e["result_external_id"] for e in attempt.evidence],
    )


@router.post(
    "/discharges",
    status_code=201,
    response_model=DischargePublic,
    summary="Discharge a patient (the gate)",
    description=DESCRIPTION,
    responses={403: PROBLEM, 409: PROBLEM, 422: PROBLEM, 503: PROBLEM},
)
def record_discharge(
    body: DischargeCreate,
    session: DbSession,
    audit: Audit,
    principal: ClinicalWriter,
    screening: Screening,
    windows: Windows,
    zone: HospitalZone,
    key: IdempotencyKeyHeader = None,
) -> Response:
    _authorize_disposition(body, principal)
    assessment = assess(screening, principal, body.patient_external_id, windows)
    keyed = IdempotentRequest(
        session,
        idempotency_key,
        principal.sub,
        key,
        fingerprint("POST", "/discharges", body.model_dump(mode="json")),
    )
    claim = session.begin_nested()
    replay = keyed.claim()
    unavailable = SCREENING_UNAVAILABLE in assessment.decision.codes
    if replay is not None or not unavailable:
        claim.commit()
    else:
        claim.rollback()  # a 503 leaves no key behind: the same key may be retried
    if replay is not None:
        return replay
    attempt, problem = _store(session, assessment, body, principal, zone)
    _audit(audit, attempt, problem)
    if problem is not None:
        if not unavailable:
            keyed.remember(problem.status, problem.body())
        return problem_response(problem)
    document = discharge_document(attempt)
    keyed.remember(201, document)
    return JSONResponse(document, status_code=201)
