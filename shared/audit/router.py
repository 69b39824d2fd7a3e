"""GET /audit: the service's own trail, for auditors and admins."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import Engine, Table
from sqlmodel import Session

from shared.audit.export import AuditFilter, Order, Words, audit_csv, audit_rows, export_pages
from shared.auth import require
from shared.auth.roles import AUDIT_READERS
from shared.db import DbSession, ReplicaSession
from shared.fields import Timestamp
from shared.pagination import (
    CursorParam,
    Limit,
    Page,
    Position,
    next_cursor,
    page_size,
    row_id_after,
)
from shared.web.csv_export import CSV_MEDIA_TYPE, attachment


class AuditRow(BaseModel):
    """One audit row as stored."""

    id: int
    at: datetime
    actor: str
    roles: list[str]
    action: str
    resource: str
    outcome: str
    client: str
    request_id: str
    detail: str
    seq: int | None = Field(description="Position in the hash chain; null until sealed (~1 s).")
    hash: str | None = Field(description="Chain hash at this row; null until sealed.")


router = APIRouter(tags=["audit"])
# NUL and other control characters cannot be stored, so no row could match them (PostgreSQL
# refuses them in a query outright).
_NO_CONTROL = r"^[^\x00-\x1f]*$"


@router.get(
    "/audit",
    response_model=Page[AuditRow],
    summary="List this service's audit trail (JSON pages or a CSV export)",
    description=(
        "Oldest first, or newest first with `order=desc`. `from` inclusive, `to` exclusive; "
        "`resource` matches a prefix (`person/P1` finds `person/P1` and `person/P10`). "
        "Auditor and admin only. With `Accept: text/csv` every matching row is streamed as "
        "CSV (UTF-8 with a byte-order mark, times in hospital local time with their offset; "
        "`limit` and `cursor` are ignored). Read from "
        "the replica in DATABASE_READ_URL when one is configured (the newest rows may then "
        "appear after its replication lag). Denied requests are `auth.denied` rows; those "
        "without a valid token are counted per client address and minute (`detail.count`, "
        "with the `resources` and `reasons` seen), the first of each minute in a row of its "
        "own. Reading the trail writes the counts held so far."
    ),
    responses={200: {"content": {"text/csv": {}}}},
    dependencies=[Depends(require(*AUDIT_READERS))],
)
def list_audit(
    request: Request,
    session: DbSession,
    from_: Annotated[Timestamp | None, Query(alias="from")] = None,
    to: Timestamp | None = None,
    actor: Annotated[str | None, Query(max_length=200, pattern=_NO_CONTROL)] = None,
    action: Annotated[str | None, Query(max_length=100, pattern=_NO_CONTROL)] = None,
    resource: Annotated[str | None, Query(max_length=300, pattern=_NO_CONTROL)] = None,
    order: Order = "asc",
    limit: Limit = None,
    cursor: CursorParam = None,
    replica: ReplicaSession = None,
) -> Any:
    filters = AuditFilter(from_, to, actor or None, action or None, resource or None, order)
    if "text/csv" in request.headers.get("accept", ""):
        flush_denials(request)
        return StreamingResponse(
            export_csv(request, filters), media_type=CSV_MEDIA_TYPE, headers=CSV_HEADERS
        )
    return audit_page(request, replica or session, filters, limit, cursor)


CSV_HEADERS = attachment("audit.csv")


def flush_denials(request: Request) -> None:
    """Write the denials still being counted in memory, so the trail shows them."""
    denials = getattr(request.app.state, "audit_denials", None)
    if denials is not None:
        denials.flush(everything=True)


def audit_page(
    request: Request,
    reader: Session,
    filters: AuditFilter,
    limit: int | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    """One page of the trail (`{items, next_cursor}`), as `GET /audit` answers it."""
    flush_denials(request)
    table: Table = request.app.state.audit_table
    size = page_size(limit)
    rows = audit_rows(reader.connection(), table, filters, size + 1, row_id_after(cursor))
    rows, nxt = next_cursor(rows, size, lambda r: Position(r["id"]))
    return {"items": rows, "next_cursor": nxt}


def export_csv(
    request: Request,
    filters: AuditFilter,
    extra_columns: Sequence[str] = (),
    extra: Words | None = None,
) -> Iterator[str]:
    """Every matching row as CSV chunks, read page by page while they are sent."""
    state = request.app.state
    engine: Engine = getattr(state, "replica_engine", None) or state.engine
    pages = export_pages(engine, state.audit_table, filters)
    return audit_csv(pages, state.settings.timezone, extra_columns, extra)
