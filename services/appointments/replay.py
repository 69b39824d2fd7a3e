"""Idempotency-Key for the booking use cases: claim the key, or the first answer to replay."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlmodel import Session

from services.appointments.models import idempotency_key
from shared.idempotency import IdempotentRequest, fingerprint


@dataclass(frozen=True)
class Replayed:
    """The stored first answer to a request retried with the same key and body."""

    status: int
    body: bytes
    media_type: str

    def document(self) -> Any:
        """The stored answer as the JSON document it was."""
        return json.loads(self.body)


def keyed_request(
    session: Session, caller: str, key: str | None, path: str, body: dict[str, Any]
) -> IdempotentRequest:
    """The keyed request of `caller` for `POST path` with `body` (its JSON form)."""
    return IdempotentRequest(session, idempotency_key, caller, key, fingerprint("POST", path, body))


def claim(keyed: IdempotentRequest) -> Replayed | None:
    """None once the key is claimed for this request; the first answer when it was used."""
    stored = keyed.claim()
    if stored is None:
        return None
    return Replayed(stored.status_code, bytes(stored.body), stored.media_type or "")


def replay_before_calling_out(
    session: Session, keyed: IdempotentRequest, caller: str, key: str | None
) -> Replayed | None:
    """A retried request's first answer, found before a call to another service.

    Network before database: when the key is not used yet, the lookup's transaction is
    ended at once, so no lock (SQLite's write lock) is held while the other service answers.
    """
    if key is None:
        return None
    table = idempotency_key
    used = (
        session.connection()
        .execute(select(table.c.key).where(table.c.caller == caller, table.c.key == key))
        .first()
    )
    if used is not None:
        replayed = claim(keyed)  # the first answer, or 422 for another body under the key
        if replayed is not None:
            return replayed
    session.rollback()
    return None


def answer_document(answer: BaseModel | Replayed) -> Any:
    """A booking's answer as its JSON document (a replay's is the stored first answer)."""
    if isinstance(answer, Replayed):
        return answer.document()
    return answer.model_dump(mode="json")
