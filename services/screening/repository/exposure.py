"""Exposure tracing's reads of the screening database: who shares a ward or an escort."""

from __future__ import annotations

from typing import Any

from sqlalchemy import literal, select, union_all
from sqlmodel import Session

from services.screening.domain.exposure import (
    CAREGIVER,
    ESCORTED_PATIENT,
    SAME_WARD,
    LinkedPerson,
)
from services.screening.models import person_table as P

# Who of a ward counts as a ward mate (caregivers and outpatients are not on the ward).
WARD_CATEGORIES = ("inpatient", "staff")


def linked_persons(session: Session, person: dict[str, Any]) -> list[LinkedPerson]:
    """Same-ward inpatients and staff, the person's caregivers and, for a caregiver, the
    patient they escort: one statement (UNION ALL of indexed lookups)."""
    external_id = person["external_id"]

    def linked(link: str) -> Any:
        return select(P.c.external_id, literal(link).label("link"), P.c.admitted_at)

    parts = [
        linked(CAREGIVER).where(P.c.patient_external_id == external_id, P.c.category == "caregiver")
    ]
    if person.get("ward"):
        parts.append(
            linked(SAME_WARD).where(
                P.c.ward == person["ward"],
                P.c.category.in_(WARD_CATEGORIES),
                P.c.external_id != external_id,
            )
        )
    if person.get("patient_external_id"):
        parts.append(
            linked(ESCORTED_PATIENT).where(P.c.external_id == person["patient_external_id"])
        )
    rows = session.connection().execute(union_all(*parts))
    return [LinkedPerson(r.external_id, r.link, r.admitted_at) for r in rows]
