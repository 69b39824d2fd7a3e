"""All SQL of discharge checks. Checks are only ever inserted."""

from __future__ import annotations

from services.discharge.models import DischargeCheck
from shared.async_db import Query, Transaction

_CHECKS = DischargeCheck.__table__  # type: ignore[attr-defined]
_INSERT_CHECK = Query(_CHECKS.insert().returning(_CHECKS.c.id))


async def add_check(tx: Transaction, check: DischargeCheck) -> int:
    """Store a discharge check (one INSERT ... RETURNING); its id."""
    rows = await tx.rows(_INSERT_CHECK, check.model_dump(exclude={"id"}))
    return int(rows[0][0])
