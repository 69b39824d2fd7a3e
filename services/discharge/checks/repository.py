"""All SQL of discharge checks. Checks are only ever inserted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.discharge.models import DischargeCheck
from shared.async_db import Query, Transaction

_CHECKS = DischargeCheck.__table__  # type: ignore[attr-defined]
_INSERT_CHECK = Query(_CHECKS.insert().returning(_CHECKS.c.id))


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


async def add_check(tx: Transaction, check: NewCheck) -> int:
    """Store a discharge check (one INSERT ... RETURNING); its id."""
    row = {name: getattr(check, name) for name in NewCheck.__slots__}
    rows = await tx.rows(_INSERT_CHECK, row)
    return int(rows[0][0])
