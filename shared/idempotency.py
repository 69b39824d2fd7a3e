"""Idempotency-Key: a retry with the same key and body replays the first answer.

The key row is claimed *first*, in the request's own transaction, under a unique constraint:
a concurrent duplicate waits on that row (PostgreSQL) or on the write lock (SQLite) and then
replays the committed answer instead of doing the work again. An answer that rolled back
(an error raised) leaves no key behind, so the client may retry it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import Header
from fastapi.responses import Response
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from shared.db import UtcDateTime
from shared.errors import Unprocessable

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Retry safely: the same key and body replay the first answer (kept 24 h+).",
    ),
]


def define_idempotency_table(metadata: MetaData) -> Table:
    """Add `idempotency_key` to a service's metadata and return it."""
    return Table(
        "idempotency_key",
        metadata,
        Column("caller", String(200), nullable=False),
        Column("key", String(255), nullable=False),
        Column("fingerprint", String(64), nullable=False),
        Column("status_code", Integer, nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False, index=True),
        PrimaryKeyConstraint("caller", "key"),
    )


def fingerprint(method: str, path: str, body: Any) -> str:
    """A stable hash of what was asked."""
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotentRequest:
    """One keyed request: `claim()` before the work, `remember()` the answer after it."""

    def __init__(
        self, session: Session, table: Table, caller: str, key: str | None, print_: str
    ) -> None:
        self._session, self._table = session, table
        self._caller, self._key, self._print = caller, key, print_

    def _stored(self) -> Response | None:
        t = self._table
        row = (
            self._session.connection()
            .execute(
                select(t.c.fingerprint, t.c.status_code, t.c.body).where(
                    t.c.caller == self._caller, t.c.key == self._key
                )
            )
            .first()
        )
        if row is None:
            return None
        if row.fingerprint != self._print:
            raise Unprocessable(
                "This Idempotency-Key was already used with a different request body.",
                code="idempotency_key_reused",
            )
        media = "application/problem+json" if row.status_code >= 400 else "application/json"
        return Response(
            row.body,
            status_code=row.status_code,
            media_type=media,
            headers={"Idempotent-Replayed": "true"},
        )

    def claim(self) -> Response | None:
        """The stored answer to replay, or None after claiming the key for this request."""
        if self._key is None:
            return None
        stored = self._stored()
        if stored is not None:
            return stored
        try:
            with self._session.begin_nested():
                self._session.connection().execute(
                    self._table.insert().values(
                        caller=self._caller,
                        key=self._key,
                        fingerprint=self._print,
                        status_code=0,
                        body="",
                        created_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            stored = self._stored()  # a concurrent twin committed first
            if stored is not None:
                return stored
            raise
        return None

    def remember(self, status_code: int, body: Any) -> None:
        """Store the answer with the key (same transaction as the work)."""
        if self._key is None:
            return
        t = self._table
        self._session.connection().execute(
            update(t)
            .where(t.c.caller == self._caller, t.c.key == self._key)
            .values(status_code=status_code, body=orjson.dumps(body).decode())
        )
