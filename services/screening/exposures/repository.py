"""All SQL of exposure tracing: who shares a ward or an escort with a person."""

from __future__ import annotations

from typing import Any

from sqlalchemy import literal, select, union_all
from sqlmodel import Session

from services.screening.domain.exposure import (
    CAREGIVER,
    ESCORTED_PATIENT,
    SAME_WARD,
    ExposureReason,
    LinkedPerson,
)
from services.screening.models import person_table as P
from services.screening.persons.repository import PersonRow
from shared.vocabulary import Category

# Who of a ward counts as a ward mate (caregivers and outpatients are not on the ward).
WARD_CATEGORIES = (Category.INPATIENT.value, Category.STAFF.value)


def linked_persons(session: Session, person: PersonRow) -> list[LinkedPerson]:
    """Same-ward inpatients and staff, the person's caregivers and, for a caregiver, the
    patient they escort: one statement (UNION ALL of indexed lookups)."""
    external_id = person.external_id

    def linked(link: ExposureReason) -> Any:
        return select(P.c.external_id, literal(link.value).label("link"), P.c.admitted_at)

    parts = [
        linked(CAREGIVER).where(
            P.c.patient_external_id == external_id, P.c.category == Category.CAREGIVER.value
        )
    ]
    if person.ward:
        parts.append(
            linked(SAME_WARD).where(
                P.c.ward == person.ward,
                P.c.category.in_(WARD_CATEGORIES),
                P.c.external_id != external_id,
            )
        )
    if person.patient_external_id:
        parts.append(linked(ESCORTED_PATIENT).where(P.c.external_id == person.patient_external_id))
    rows = session.connection().execute(union_all(*parts))
    return [LinkedPerson(r.external_id, ExposureReason(r.link), r.admitted_at) for r in rows]
