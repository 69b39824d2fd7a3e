"""Recording audit rows from requests: writes, reads, gate decisions and denials."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Table
from sqlmodel import Session
from starlette.types import Scope

from shared.async_db import Query, Transaction
from shared.audit.chain import (
    AuditEntry,
    append_entry,
    audit_insert,
    entry_row,
    with_audit_row,
)
from shared.audit.denials import ANONYMOUS, Denial
from shared.auth.tokens import Principal
from shared.db import DbSession
from shared.web.context import request_id_var

log = logging.getLogger("wardgate.audit")


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


def request_entry(
    request: Request, action: str, resource: str, outcome: str, detail: dict[str, Any]
) -> AuditEntry:
    """The audit entry of an event in this request, for its caller."""
    principal: Principal | None = getattr(request.state, "principal", None)
    return AuditEntry(
        actor=principal.sub if principal else "anonymous",
        roles=",".join(sorted(principal.roles)) if principal else "",
        action=action,
        resource=resource,
        outcome=outcome,
        client=_client(request),
        request_id=request_id_var.get(),
        detail=detail,
    )


@dataclass(frozen=True)
class AuditCaller:
    """Who acts when no HTTP request does (the MLLP listener for an interface engine)."""

    actor: str
    roles: str
    client: str


class AuditTrail:
    """Appends audit rows in the request's own transaction (they commit with the write)."""

    def __init__(self, request: Request, session: DbSession) -> None:
        self._request: Request | None = request
        self._caller: AuditCaller | None = None
        self._session = session
        self._table: Table = request.app.state.audit_table

    @classmethod
    def of_caller(cls, session: Session, table: Table, caller: AuditCaller) -> AuditTrail:
        """The trail of a caller outside any HTTP request, in `session`'s transaction."""
        trail = cls.__new__(cls)
        trail._request, trail._caller = None, caller
        trail._session, trail._table = session, table
        return trail

    def record(self, action: str, resource: str, outcome: str = "ok", **detail: Any) -> None:
        """Append one row for the current caller."""
        if self._request is not None:
            entry = request_entry(self._request, action, resource, outcome, detail)
        else:
            assert self._caller is not None
            caller = self._caller
            entry = AuditEntry(
                actor=caller.actor,
                roles=caller.roles,
                action=action,
                resource=resource,
                outcome=outcome,
                client=caller.client,
                detail=detail,
            )
        append_entry(self._session.connection(), self._table, entry)


class AsyncAuditTrail:
    """`AuditTrail` for use cases on `shared.async_db` transactions (the hot paths)."""

    def __init__(self, request: Request) -> None:
        self._request = request
        self._table: Table = request.app.state.audit_table
        self._insert = audit_insert(self._table)

    @property
    def table(self) -> Table:
        """The service's audit table (for a statement that writes its row itself)."""
        return self._table

    def row(self, action: str, resource: str, outcome: str = "ok", **detail: Any) -> dict[str, Any]:
        """The audit row of an event of this request, as a statement that writes it takes it."""
        return entry_row(request_entry(self._request, action, resource, outcome, detail))

    async def record(
        self, tx: Transaction, action: str, resource: str, outcome: str = "ok", **detail: Any
    ) -> None:
        """Append one row for the current caller inside `tx`."""
        entry = request_entry(self._request, action, resource, outcome, detail)
        await tx.run(self._insert, entry_row(entry))

    async def write(
        self,
        tx: Transaction,
        query: Query,
        params: Mapping[str, Any],
        action: str,
        resource: str,
        *,
        id_key: str,
        outcome: str = "ok",
        **detail: Any,
    ) -> int:
        """Insert a row (`query`: an INSERT ... RETURNING its id) and its audit row, whose
        detail names the new id as `id_key`: one statement on PostgreSQL (run it in a
        `one_statement` transaction), two elsewhere. Returns the new id."""
        if not tx.postgres:
            new_id = int((await tx.rows(query, params))[0][0])
            await self.record(tx, action, resource, outcome, **{id_key: new_id}, **detail)
            return new_id
        row = entry_row(request_entry(self._request, action, resource, outcome, detail))
        both = {**params, **{f"row_{k}": v for k, v in row.items()}}
        return int((await tx.rows(with_audit_row(query, self._table, id_key), both))[0][0])

    async def read(
        self,
        tx: Transaction,
        query: Query,
        params: Mapping[str, Any],
        action: str,
        resource: str,
        **detail: Any,
    ) -> list[tuple[Any, ...]]:
        """The rows of a read, audited when it found something (nothing found: nothing was
        read, as a 404 is not audited): one statement on PostgreSQL."""
        entry = request_entry(self._request, action, resource, "ok", detail)
        return await tx.rows_noted(query, params, self._table, entry_row(entry))


async def _audit_trail(request: Request, session: DbSession) -> AuditTrail:
    # An async factory: a class dependency would be built in the thread pool (one hop more).
    return AuditTrail(request, session)


Audit = Annotated[AuditTrail, Depends(_audit_trail)]


_NOTE = "wardgate_denial"


def record_denial(request: Request, status: int, reason: str) -> None:
    """Note why this request is denied (401/403); the request middleware audits it, once.

    Every answer with status 401 or 403 is audited there (problem handlers, pages, CSRF
    refusals alike); a note adds the reason, and makes a refusal that a page answers with
    another status (a form shown again) count as a denial too.
    """
    note_denial(request.scope, status, reason)


def note_denial(scope: Scope, status: int, reason: str) -> None:
    """`record_denial` for ASGI code that has the scope, not a Request."""
    scope.setdefault("state", {})[_NOTE] = (status, reason)


def noted_denial(scope: Scope) -> tuple[int, str] | None:
    """The (status, reason) a handler noted for this request, if any."""
    state = scope.get("state")
    note = state.get(_NOTE) if isinstance(state, dict) else None
    return note if isinstance(note, tuple) else None


def denial_of(scope: Scope, request_id: str, status: int) -> Denial | None:
    """The denial this answer is, or None: a 401/403 answer, or one a handler noted."""
    note = noted_denial(scope)
    if status not in (401, 403):
        if note is None:
            return None
        status = note[0]
    state = scope.get("state")
    principal = state.get("principal") if isinstance(state, dict) else None
    client = scope.get("client")
    reason = note[1] if note is not None else f"refused with {status}"
    return Denial(
        status=status,
        resource=f"{scope.get('method', '')} {scope.get('path', '')}"[:300],
        client=str(client[0]) if client else "",
        reason=reason[:200],
        request_id=request_id,
        actor=principal.sub if isinstance(principal, Principal) else ANONYMOUS,
        roles=",".join(sorted(principal.roles)) if isinstance(principal, Principal) else "",
    )
