"""The one query the lookup adds: every version of a person's nucleic-acid results."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from services.screening.domain.result_lookup import LookupVersion
from services.screening.models import result_table as R
from shared.vocabulary import TestType


def nucleic_acid_versions(session: Session, person_external_id: str) -> list[LookupVersion]:
    """Every stored version of the person's nucleic-acid results."""
    query = select(
        R.c.external_id,
        R.c.version,
        R.c.result,
        R.c.status,
        R.c.specimen_collected_at,
        R.c.resulted_at,
        R.c.recorded_at,
        R.c.method,
    ).where(
        R.c.person_external_id == person_external_id,
        R.c.test_type == TestType.NUCLEIC_ACID.value,
    )
    return [LookupVersion(*row) for row in session.connection().execute(query)]
