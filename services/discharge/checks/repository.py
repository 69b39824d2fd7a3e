"""All SQL of discharge checks. Checks are only ever inserted.

A check of an admission that already ended says so (`already_discharged`): the discharge
service's own record of the admission decides, with no lag. On PostgreSQL that lookup, the
check and its audit row are one statement (the check is a hot path).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, Text, bindparam, case, exists, false, func, literal_column, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Session, col

from services.discharge.models import Discharge, DischargeCheck
from shared.async_db import Query
from shared.vocabulary import Outcome

_CHECKS = DischargeCheck.__table__  # type: ignore[attr-defined]
_DISCHARGES = Discharge.__table__  # type: ignore[attr-defined]
ALREADY_DISCHARGED = "already_discharged"
FINAL_OUTCOMES = (Outcome.DISCHARGED.value, Outcome.EXCEPTION.value)
# The admission key of a check without a known admission: matches no discharge.
NO_ADMISSION = ""


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


def _admission_ended() -> Any:
    """True when the patient's admission (`:admission_key`) ended with a discharge."""
    return exists().where(
        _DISCHARGES.c.patient_external_id == bindparam("patient_external_id"),
        _DISCHARGES.c.admission_key == bindparam("admission_key"),
        # Literals, not parameters: the statement's parameters are all named.
        _DISCHARGES.c.outcome.in_([literal_column(f"'{o}'") for o in FINAL_OUTCOMES]),
    )


# SQLite: is the admission over? (asked before the check is stored, in its transaction)
ADMISSION_ENDED = Query(select(_admission_ended().label("ended")))


def check_row(check: NewCheck) -> dict[str, Any]:
    """The parameters of INSERT_CHECK."""
    return {name: getattr(check, name) for name in NewCheck.__slots__}


def _param(name: str) -> Any:
    return bindparam(name, type_=_CHECKS.c[name].type)


@functools.cache
def check_with_audit_row(audit: Table) -> Query:
    """PostgreSQL: the check, stored as `already_discharged` when the admission ended, and its
    audit row (parameters `row_<column>`; `*_closed` the already-discharged variants), in one
    statement. Answers (check id, whether the admission had ended)."""
    ended = _admission_ended()
    values = {name: _param(name) for name in NewCheck.__slots__}
    values["eligible"] = case((ended, false()), else_=_param("eligible"))
    values["reasons"] = case(
        (ended, bindparam("reasons_closed", type_=_CHECKS.c.reasons.type)), else_=_param("reasons")
    )
    made = (
        _CHECKS.insert()
        .from_select(list(values), select(*values.values()))
        .returning(_CHECKS.c.id)
        .cte("made")
    )
    columns = [c for c in audit.c if not c.primary_key]
    row: list[Any] = []
    for column in columns:
        value: Any = bindparam(f"row_{column.name}", type_=column.type)
        if column.name in ("outcome", "detail"):
            closed = bindparam(f"row_{column.name}_closed", type_=column.type)
            value = case((ended, closed), else_=value)
        if column.name == "detail":
            named = func.jsonb_build_object(literal_column("'check_id'"), made.c.id)
            value = sql_cast(sql_cast(value, JSONB).op("||")(named), Text)
        row.append(value)
    added = audit.insert().from_select([c.name for c in columns], select(*row).select_from(made))
    return Query(select(made.c.id, ended.label("ended")).add_cte(added.cte("added")))


def list_checks(
    session: Session, patient_external_id: str | None, size: int, before_id: int | None
) -> list[DischargeCheck]:
    """Up to `size + 1` stored checks, newest first, older than `before_id`."""
    query = select(DischargeCheck).order_by(col(DischargeCheck.id).desc()).limit(size + 1)
    if patient_external_id is not None:
        query = query.where(col(DischargeCheck.patient_external_id) == patient_external_id)
    if before_id is not None:
        query = query.where(col(DischargeCheck.id) < before_id)
    return list(session.execute(query).scalars())
