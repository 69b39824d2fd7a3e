"""Discharges: the gate itself, and the auditors' reads of every stored attempt.

`record_discharge` asks screening first (no lock is held while waiting on the network), then
claims the Idempotency-Key and stores the attempt, whatever its outcome. A refusal after
the attempt is stored is *returned* (`Refused`), not raised, because the blocked attempt,
its audit row and the remembered answer must commit with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.discharge.admission_sync.repository import queue_admission_end
from services.discharge.checks.gate import Assessment, assess
from services.discharge.clients.screening import ScreeningClient
from services.discharge.discharges import repository
from services.discharge.discharges.export import csv_chunks
from services.discharge.discharges.schemas import DischargeCreate, DischargeFilter, DischargePublic
from services.discharge.domain.discharge_rule import SCREENING_UNAVAILABLE, RuleWindows
from services.discharge.domain.disposition import EXCEPTION_DISPOSITIONS, discharge_outcome
from services.discharge.models import Discharge, idempotency_key
from shared.audit import AuditTrail
from shared.auth import Principal
from shared.auth.roles import INFECTION_CONTROL
from shared.db import in_transaction
from shared.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Problem,
    ServiceUnavailable,
    Unprocessable,
    field_error,
)
from shared.idempotency import IdempotentRequest, fingerprint
from shared.pagination import Page, Position, next_cursor, page_size, row_id_after
from shared.vocabulary import Outcome


@dataclass(frozen=True)
class Discharged:
    """The patient left: a discharge or an audited exception, stored (201)."""

    discharge: DischargePublic


@dataclass(frozen=True)
class Refused:
    """The attempt is stored as blocked; `problem` is the answer (409 or 503)."""

    problem: Problem


@dataclass(frozen=True)
class Replayed:
    """The first answer to this Idempotency-Key, exactly as it was stored."""

    status: int
    body: bytes

    @property
    def ok(self) -> bool:
        """True when the first answer was a 2xx."""
        return 200 <= self.status < 300

    def document(self) -> Any:
        """The stored JSON document."""
        return orjson.loads(self.body)


DischargeAnswer = Discharged | Refused | Replayed


def public(discharge: Discharge) -> DischargePublic:
    """The public shape of a stored attempt."""
    return DischargePublic.model_validate(discharge, from_attributes=True)


def _authorize_disposition(request: DischargeCreate, principal: Principal) -> None:
    if request.disposition not in EXCEPTION_DISPOSITIONS:
        return
    if INFECTION_CONTROL not in principal.roles:
        raise Forbidden(
            f"A {request.disposition} discharge is an exception only infection_control may record.",
            code="forbidden",
        )
    if request.reason is None or not request.reason.strip():
        raise Unprocessable(
            f"A {request.disposition} discharge needs a reason.",
            code="validation_error",
            errors=[field_error("reason", "required for designated_hospital and death")],
        )


def _attempt(
    assessment: Assessment,
    request: DischargeCreate,
    principal: Principal,
    outcome: Outcome,
    zone: ZoneInfo,
) -> Discharge:
    return Discharge(
        patient_external_id=request.patient_external_id,
        admission_key=assessment.admission_key,
        department=assessment.department,
        ward=assessment.ward,
        disposition=request.disposition,
        outcome=outcome,
        reason=request.reason,
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
    attempt.outcome, attempt.reasons = Outcome.BLOCKED, [reason]
    stored = repository.add_discharge(session, attempt)
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
    request: DischargeCreate,
    principal: Principal,
    zone: ZoneInfo,
) -> tuple[Discharge, Problem | None]:
    """Store the attempt; the problem to answer with unless it discharged."""
    outcome = discharge_outcome(request.disposition, assessment.decision)
    attempt = _attempt(assessment, request, principal, outcome, zone)
    if assessment.record is not None:
        first = repository.final_discharge(
            session, request.patient_external_id, assessment.admission_key
        )
        if first is not None:
            return attempt, _already_discharged(session, attempt, first)
    if outcome == Outcome.BLOCKED:
        stored = repository.add_discharge(session, attempt)
        return stored, _blocked(assessment, stored)
    try:
        return repository.add_discharge(session, attempt), None
    except repository.AlreadyDischarged:  # a concurrent discharge of the same admission won
        attempt = _attempt(assessment, request, principal, Outcome.BLOCKED, zone)
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


async def record_discharge(
    session: Session,
    audit: AuditTrail,
    principal: Principal,
    screening: ScreeningClient,
    windows: RuleWindows,
    zone: ZoneInfo,
    request: DischargeCreate,
    key: str | None = None,
) -> DischargeAnswer:
    """Decide again now and store the attempt: discharged, refused, or the first answer.

    Screening is asked first, on the event loop; the database work then runs and commits in
    one worker thread (rolled back there when it raises)."""
    _authorize_disposition(request, principal)
    assessment = await assess(screening, principal, request.patient_external_id, windows)
    return await in_transaction(
        session, lambda: _record(session, audit, principal, zone, request, key, assessment)
    )


def _record(
    session: Session,
    audit: AuditTrail,
    principal: Principal,
    zone: ZoneInfo,
    request: DischargeCreate,
    key: str | None,
    assessment: Assessment,
) -> DischargeAnswer:
    keyed = IdempotentRequest(
        session,
        idempotency_key,
        principal.sub,
        key,
        fingerprint("POST", "/discharges", request.model_dump(mode="json")),
    )
    claim = session.begin_nested()
    replay = keyed.claim()
    unavailable = SCREENING_UNAVAILABLE in assessment.decision.codes
    if replay is not None or not unavailable:
        claim.commit()
    else:
        claim.rollback()  # a 503 leaves no key behind: the same key may be retried
    if replay is not None:
        return Replayed(replay.status_code, bytes(replay.body))
    attempt, problem = _store(session, assessment, request, principal, zone)
    _audit(audit, attempt, problem)
    if problem is not None:
        if not unavailable:
            keyed.remember(problem.status, problem.body())
        return Refused(problem)
    assert attempt.id is not None
    # The admission's end goes to screening from the outbox, committed with the discharge.
    queue_admission_end(session, attempt.id, assessment.at)
    discharge = public(attempt)
    keyed.remember(201, discharge.model_dump(mode="json"))
    return Discharged(discharge)


def _audit_filters(filters: DischargeFilter) -> dict[str, Any]:
    return {
        "period_from": filters.from_.isoformat() if filters.from_ else None,
        "period_to": filters.to.isoformat() if filters.to else None,
        "department": filters.department,
        "outcome_filter": filters.outcome,
        "patient_external_id": filters.patient_external_id,
    }


def list_discharges(
    session: Session,
    audit: AuditTrail,
    filters: DischargeFilter,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[DischargePublic]:
    """One page of stored attempts in order of recording (422 for a cursor not of this list)."""
    size = page_size(limit)
    rows = repository.list_discharges(session, filters, size, row_id_after(cursor))
    rows, nxt = next_cursor(rows, size, lambda d: Position(d.id or 0))
    audit.record("discharge.list", "discharges", count=len(rows), **_audit_filters(filters))
    return Page[DischargePublic](items=[public(d) for d in rows], next_cursor=nxt)


def export_discharges(engine: Engine, audit: AuditTrail, filters: DischargeFilter) -> Iterator[str]:
    """Every matching attempt as CSV chunks, read page by page while sent (audited now)."""
    audit.record("discharge.export", "discharges", **_audit_filters(filters))
    return csv_chunks(repository.export_pages(engine, filters))


def read_discharge(session: Session, audit: AuditTrail, discharge_id: int) -> DischargePublic:
    """One stored attempt exactly as recorded (404 when there is none)."""
    discharge = repository.get_discharge(session, discharge_id)
    if discharge is None:
        raise NotFound(f"There is no discharge attempt {discharge_id}.")
    audit.record(
        "discharge.read", f"discharge/{discharge_id}", patient=discharge.patient_external_id
    )
    return public(discharge)
