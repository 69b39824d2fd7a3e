"""The auditors' view of stored attempts: GET /discharges (JSON or CSV) and one by id."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy import Engine

from services.discharge.api.deps import ReportReader
from services.discharge.api.discharges import discharge_document
from services.discharge.models import Discharge
from services.discharge.repository import (
    DischargeFilter,
    export_pages,
    get_discharge,
    list_discharges,
)
from services.discharge.schemas import DischargePublic, Outcome
from shared.audit import Audit, AuditTrail
from shared.db import DbSession
from shared.errors import NotFound
from shared.fields import Identifier, Timestamp
from shared.pagination import (
    CursorParam,
    Limit,
    Page,
    Position,
    next_cursor,
    page_size,
    row_id_after,
)

router = APIRouter(tags=["discharge records"])

MAX_ID = 2**63 - 1
CSV_COLUMNS = (
    "id",
    "created_at",
    "patient_external_id",
    "department",
    "ward",
    "disposition",
    "outcome",
    "reasons",
    "evidence",
    "reason",
    "actor",
    "admission_key",
    "rule_version",
)
ROLES_NOTE = " Roles: infection_control, auditor, admin."


def _filters(
    from_: Annotated[Timestamp | None, Query(alias="from", description="Inclusive.")] = None,
    to: Annotated[Timestamp | None, Query(description="Exclusive.")] = None,
    department: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    outcome: Outcome | None = None,
    patient_external_id: Identifier | None = None,
) -> DischargeFilter:
    return DischargeFilter(from_, to, department, outcome, patient_external_id)


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # Spreadsheet formula injection: a cell must never start like a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_row(d: Discharge) -> list[str]:
    evidence = ";".join(
        f"{e['test_type']}:{e.get('result')}:{e['result_external_id']}@{e['specimen_collected_at']}"
        for e in d.evidence
    )
    values = [
        d.id,
        d.created_at.isoformat(),
        d.patient_external_id,
        d.department,
        d.ward,
        d.disposition,
        d.outcome,
        ";".join(r["code"] for r in d.reasons),
        evidence,
        d.reason,
        d.actor,
        d.admission_key,
        d.rule_version,
    ]
    return [_cell(v) for v in values]


def _csv_lines(pages: Iterator[list[Discharge]]) -> Iterator[str]:
    # One chunk per page: the next page is read (in a short transaction of its own) only
    # once the client has taken this one, so a stalled client holds no connection and at
    # most one page of text.
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for page in pages:
        for discharge in page:
            writer.writerow(_csv_row(discharge))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():  # no matching row: the header alone
        yield buffer.getvalue()


def discharges_csv(engine: Engine, audit: AuditTrail, filters: DischargeFilter) -> Response:
    """Every matching attempt streamed as CSV (audited as an export)."""
    audit.record("discharge.export", "discharges", **_audit_filters(filters))
    return StreamingResponse(
        _csv_lines(export_pages(engine, filters)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="discharges.csv"'},
    )


@router.get(
    "/discharges",
    response_model=Page[DischargePublic],
    summary="List discharge attempts (JSON pages or a CSV export)",
    description=(
        "Discharged, blocked and exception attempts in the order they were recorded, with"
        " their reasons and evidence. `from` inclusive, `to` exclusive (on `created_at`)."
        " With `Accept: text/csv` every matching row is streamed as CSV (unpaginated; `limit`"
        " and `cursor` are ignored; bound it with `from`/`to`)." + ROLES_NOTE
    ),
    responses={200: {"content": {"text/csv": {}}}},
)
def list_discharge_records(
    request: Request,
    session: DbSession,
    audit: Audit,
    _reader: ReportReader,
    filters: Annotated[DischargeFilter, Depends(_filters)],
    limit: Limit = None,
    cursor: CursorParam = None,
) -> Any:
    if "text/csv" in request.headers.get("accept", ""):
        return discharges_csv(request.app.state.engine, audit, filters)
    size = page_size(limit)
    rows = list_discharges(session, filters, size, row_id_after(cursor))
    rows, nxt = next_cursor(rows, size, lambda d: Position(d.id or 0))
    audit.record("discharge.list", "discharges", count=len(rows), **_audit_filters(filters))
    return {"items": [discharge_document(d) for d in rows], "next_cursor": nxt}


def _audit_filters(filters: DischargeFilter) -> dict[str, Any]:
    return {
        "period_from": filters.from_.isoformat() if filters.from_ else None,
        "period_to": filters.to.isoformat() if filters.to else None,
        "department": filters.department,
        "outcome_filter": filters.outcome,
        "patient_external_id": filters.patient_external_id,
    }


@router.get(
    "/discharges/{discharge_id}",
    response_model=DischargePublic,
    summary="One discharge attempt with its stored evidence",
    description="The attempt exactly as stored (never changed after)." + ROLES_NOTE,
    responses={404: {"content": {"application/problem+json": {}}}},
)
def read_discharge(
    session: DbSession,
    audit: Audit,
    _reader: ReportReader,
    discharge_id: Annotated[int, Path(ge=1, le=MAX_ID)],
) -> Response:
    discharge = get_discharge(session, discharge_id)
    if discharge is None:
        raise NotFound(f"There is no discharge attempt {discharge_id}.")
    audit.record(
        "discharge.read", f"discharge/{discharge_id}", patient=discharge.patient_external_id
    )
    return JSONResponse(discharge_document(discharge))
