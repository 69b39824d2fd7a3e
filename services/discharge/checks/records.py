"""Stored discharge checks, newest first: a patient's timeline and the auditors' read."""

from __future__ import annotations

from sqlmodel import Session

from services.discharge.checks import repository
from services.discharge.checks.schemas import DischargeCheckRecord
from services.discharge.models import DischargeCheck
from shared.audit import AuditTrail
from shared.pagination import Page, Position, next_cursor, page_size, row_id_after


def _record(check: DischargeCheck) -> DischargeCheckRecord:
    return DischargeCheckRecord(
        check_id=check.id or 0,
        patient_external_id=check.patient_external_id,
        eligible=check.eligible,
        reasons=check.reasons,
        evidence=check.evidence,
        checked_at=check.checked_at,
        actor=check.actor,
    )


def list_checks(
    session: Session,
    audit: AuditTrail,
    patient_external_id: str | None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[DischargeCheckRecord]:
    """One page of stored checks, newest first (422 for a cursor not of this list), audited."""
    size = page_size(limit)
    rows = repository.list_checks(session, patient_external_id, size, row_id_after(cursor))
    rows, nxt = next_cursor(rows, size, lambda c: Position(c.id or 0))
    audit.record(
        "discharge_check.list",
        f"patient/{patient_external_id}" if patient_external_id else "discharge-checks",
        count=len(rows),
        patient_external_id=patient_external_id,
    )
    return Page[DischargeCheckRecord](items=[_record(c) for c in rows], next_cursor=nxt)
