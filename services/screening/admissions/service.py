"""Record how an admission ended: applied once per discharge id, audited once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from services.screening.admissions import repository
from services.screening.admissions.repository import AdmissionEndRow
from services.screening.admissions.schemas import AdmissionEndCreate, AdmissionEndPublic
from services.screening.persons.repository import person_exists
from shared.audit import AuditTrail
from shared.auth import Principal
from shared.errors import Conflict, NotFound


@dataclass(frozen=True)
class RecordedEnd:
    """The stored end and whether this request stored it (False: it was already there)."""

    end: AdmissionEndPublic
    created: bool


def _public(row: AdmissionEndRow) -> AdmissionEndPublic:
    return AdmissionEndPublic(
        discharge_id=row.discharge_id,
        patient_external_id=row.person_external_id,
        admitted_at=row.admitted_at,
        discharged_at=row.discharged_at,
        disposition=row.disposition,
        outcome=row.outcome,
        recorded_at=row.recorded_at,
    )


def record_admission_end(
    session: Session,
    audit: AuditTrail,
    principal: Principal,
    body: AdmissionEndCreate,
    now: datetime,
) -> RecordedEnd:
    """Store the end of the person's admission once; a redelivery answers the stored one."""
    first = repository.end_of_discharge(session, body.discharge_id)
    if first is not None:
        return RecordedEnd(_public(first), created=False)
    if not person_exists(session, body.patient_external_id):
        raise NotFound("No person with this external_id.", code="unknown_person")
    row = AdmissionEndRow(
        discharge_id=body.discharge_id,
        person_external_id=body.patient_external_id,
        admitted_at=body.admitted_at,
        discharged_at=body.discharged_at,
        disposition=body.disposition,
        outcome=body.outcome,
        recorded_at=now,
        recorded_by=principal.sub,
    )
    if not repository.add_end(session, row):
        raced = repository.end_of_discharge(session, body.discharge_id)
        if raced is not None:
            return RecordedEnd(_public(raced), created=False)
        raise Conflict(
            "This admission already ended with another discharge.", code="admission_already_ended"
        )
    audit.record(
        "admission.end",
        f"person/{body.patient_external_id}",
        outcome=body.outcome,
        discharge_id=body.discharge_id,
        disposition=body.disposition,
        admitted_at=body.admitted_at.isoformat() if body.admitted_at else None,
    )
    return RecordedEnd(_public(row), created=True)
