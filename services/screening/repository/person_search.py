"""Finding a person at the ward desk: by exact external id, or by part of the name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session

from services.screening.models import person_table as P


def find_persons(session: Session, text: str, limit: int) -> list[dict[str, Any]]:
    """Persons whose external id is `text` or whose name contains it, by external id."""
    query = (
        select(P)
        .where(or_(P.c.external_id == text, P.c.name.contains(text, autoescape=True)))
        .order_by(P.c.external_id)
        .limit(limit)
    )
    return [dict(r._mapping) for r in session.connection().execute(query)]
