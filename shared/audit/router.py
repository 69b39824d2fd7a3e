"""GET /audit: the service's own trail, for auditors and admins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Table, select

from shared.audit.table import seal_table
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
    summary="List this service's audit trail",
    description=(
        "Oldest first. `from` inclusive, `to` exclusive. Auditor and admin only. Read from "
        "the replica in DATABASE_READ_URL when one is configured (the newest rows may then "
        "appear after its replication lag). Denied requests are `auth.denied` rows; those "
        "without a valid token are counted per client address and minute (`detail.count`, "
        "with the `resources` and `reasons` seen), the first of each minute in a row of its "
        "own. Reading the trail writes the counts held so far."
    ),
    dependencies=[Depends(require(*AUDIT_READERS))],
)
def list_audit(
    request: Request,
    session: DbSession,
    from_: Annotated[Timestamp | None, Query(alias="from")] = None,
    to: Timestamp | None = None,
    actor: Annotated[str | None, Query(max_length=200, pattern=_NO_CONTROL)] = None,
    action: Annotated[str | None, Query(max_length=100, pattern=_NO_CONTROL)] = None,
    limit: Limit = None,
    cursor: CursorParam = None,
    replica: ReplicaSession = None,
) -> dict[str, Any]:
    denials = getattr(request.app.state, "audit_denials", None)
    if denials is not None:  # denials still being counted in memory: in the trail first
        denials.flush(everything=True)
    reader = replica or session  # DATABASE_READ_URL when set (the pages pass no replica)
    table: Table = request.app.state.audit_table
    size = page_size(limit)
    seals = seal_table(table)
    query = (
        select(table, seals.c.seq, seals.c.hash)
        .outerjoin(seals, seals.c.audit_id == table.c.id)
        .order_by(table.c.id)
        .limit(size + 1)
    )
    after = row_id_after(cursor)
    if after is not None:
        query = query.where(table.c.id > after)
    if from_:
        query = query.where(table.c.at >= from_)
    if to:
        query = query.where(table.c.at < to)
    if actor:
        query = query.where(table.c.actor == actor)
    if action:
        query = query.where(table.c.action == action)
    rows = [dict(r) for r in reader.connection().execute(query).mappings()]
    rows, nxt = next_cursor(rows, size, lambda r: Position(r["id"]))
    for r in rows:
        r["roles"] = [x for x in r["roles"].split(",") if x]
    return {"items": rows, "next_cursor": nxt}
