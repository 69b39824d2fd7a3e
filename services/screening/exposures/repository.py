"""All SQL of exposure tracing: who shares a ward or an escort with a person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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
from services.screening.models import admission_end_table as E
from services.screening.models import person_table as P
from services.screening.persons.repository import PersonRow, ended_admission
from shared.vocabulary import Category

# Who of a ward counts as a ward mate (caregivers and outpatients are not on the ward).
WARD_CATEGORIES = (Category.INPATIENT.value, Category.STAFF.value)


@dataclass(frozen=True)
class Linked:
    """The persons linked to the index, and when each one's admission ended (if it did)."""

    persons: list[LinkedPerson]
    discharged_at: dict[str, datetime]


def linked_persons(session: Session, person: PersonRow) -> Linked:
    """Same-ward inpatients and staff, the person's caregivers and, for a caregiver, the
    patient they escort, with their admissions' ends: one statement (UNION ALL of indexed
    lookups)."""
    external_id = person.external_id

    def linked(link: ExposureReason) -> Any:
        return select(
            P.c.external_id, literal(link.value).label("link"), P.c.admitted_at, E.c.discharged_at
        ).select_from(P.outerjoin(E, ended_admission()))

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
    rows = list(session.connection().execute(union_all(*parts)))
    return Linked(
        [LinkedPerson(r.external_id, ExposureReason(r.link), r.admitted_at) for r in rows],
        {r.external_id: r.discharged_at for r in rows if r.discharged_at is not None},
    )


def phones_of(session: Session, external_ids: list[str]) -> dict[str, str]:
    """The phone numbers on record of those persons that have one (for exposure lists)."""
    found: dict[str, str] = {}
    for start in range(0, len(external_ids), 1000):
        query = select(P.c.external_id, P.c.phone).where(
            P.c.external_id.in_(external_ids[start : start + 1000]), P.c.phone.is_not(None)
        )
        found.update({r.external_id: r.phone for r in session.connection().execute(query)})
    return found
