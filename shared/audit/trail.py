"""Recording audit rows from requests: writes, reads, gate decisions and denials."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Table

from shared.audit.chain import AuditEntry, append_entry
from shared.auth.tokens import Principal
from shared.db import DbSession
from shared.web.context import request_id_var

log = logging.getLogger("wardgate.audit")


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


class AuditTrail:
    """Appends audit rows in the request's own transaction (they commit with the write)."""

    def __init__(self, request: Request, session: DbSession) -> None:
        self._request = request
        self._session = session
        self._table: Table = request.app.state.audit_table

    def record(self, action: str, resource: str, outcome: str = "ok", **detail: Any) -> None:
        """Append one row for the current caller."""
        principal: Principal | None = getattr(self._request.state, "principal", None)
        entry = AuditEntry(
            actor=principal.sub if principal else "anonymous",
            roles=",".join(sorted(principal.roles)) if principal else "",
            action=action,
            resource=resource,
            outcome=outcome,
            client=_client(self._request),
            request_id=request_id_var.get(),
            detail=detail,
        )
        append_entry(self._session.connection(), self._table, entry)


async def _audit_trail(request: Request, session: DbSession) -> AuditTrail:
    # An async factory: a class dependency would be built in the thread pool (one hop more).
    return AuditTrail(request, session)


Audit = Annotated[AuditTrail, Depends(_audit_trail)]


def record_denial(request: Request, status: int, reason: str) -> None:
    """A 401/403 in its own transaction (the request's own work, if any, was rolled back)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    entry = AuditEntry(
        actor=principal.sub if principal else "anonymous",
        roles=",".join(sorted(principal.roles)) if principal else "",
        action="auth.denied",
        resource=f"{request.method} {request.url.path}"[:300],
        outcome="unauthorized" if status == 401 else "forbidden",
        client=_client(request),
        request_id=request_id_var.get(),
        detail={"status": status, "reason": reason[:200]},
    )
    try:
        with request.app.state.engine.begin() as conn:
            append_entry(conn, request.app.state.audit_table, entry)
    except Exception:  # the denial itself must still be answered
        log.exception("could not record a denied request in the audit trail")
