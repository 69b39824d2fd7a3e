"""All SQL of discharge checks. Checks are only ever inserted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam

from services.discharge.models import DischargeCheck
from shared.async_db import Query

_CHECKS = DischargeCheck.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class NewCheck:
    """A discharge check to store: the decision, its reasons and evidence as seen."""

    patient_external_id: str
    department: str | None
    eligible: bool
    reasons: list[dict[str, Any]]
    evidence: list[dict[str, Any]]
    rule_version: str
    actor: str
    checked_at: datetime


# Its id returned; every value a named parameter (also inside a WITH, where SQLAlchemy would
# otherwise number them).
INSERT_CHECK = Query(
    _CHECKS.insert()
    .values({name: bindparam(name, type_=_CHECKS.c[name].type) for name in NewCheck.__slots__})
    .returning(_CHECKS.c.id)
)


def check_row(check: NewCheck) -> dict[str, Any]:
    """The parameters of INSERT_CHECK."""
    return {name: getattr(check, name) for name in NewCheck.__slots__}
