"""GET /audit: the service's own trail, for auditors and admins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import Table, select

from shared.audit.table import seal_table
from shared.auth import require
from shared.auth.roles import AUDIT_READERS
from shared.db import DbSession
from shared.pagination import CursorParam, Limit, Page, decode_cursor, next_cursor, page_size


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


@router.get(
    "/audit",
    response_model=Page[AuditRow],
    summary="List this service's audit trail",
    description="Oldest first. `from` inclusive, `to` exclusive. Auditor and admin only.",
    dependencies=[Depends(require(*AUDIT_READERS))],
)
def list_audit(
    request: Request,
    session: DbSession,
    from_: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    to: AwareDatetime | None = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    limit: Limit = None,
    cursor: CursorParam = None,
) -> dict[str, Any]:
    table: Table = request.app.state.audit_table
    size = page_size(limit)
    seals = seal_table(table)
    query = (
        select(table, seals.c.seq, seals.c.hash)
        .outerjoin(seals, seals.c.audit_id == table.c.id)
        .order_by(table.c.id)
        .limit(size + 1)
    )
    position = decode_cursor(cursor)
    if position:
        query = query.where(table.c.id > int(position.get("id", 0)))
    if from_:
        query = query.where(table.c.at >= from_)
    if to:
        query = query.where(table.c.at < to)
    if actor:
        query = query.where(table.c.actor == actor)
    if action:
        query = query.where(table.c.action == action)
    rows = [dict(r) for r in session.connection().execute(query).mappings()]
    rows, nxt = next_cursor(rows, size, lambda r: {"id": r["id"]})
    for r in rows:
        r["roles"] = [x for x in r["roles"].split(",") if x]
    return {"items": rows, "next_cursor": nxt}
