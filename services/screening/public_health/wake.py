"""Wake the delivery workers of this process as soon as a transaction that queued a report
commits (they also poll, for reports queued by other processes and for retries)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import event
from sqlmodel import Session

_QUEUED = "public_health.queued"
_LISTENING = "public_health.listening"
_lock = threading.Lock()
_wakers: set[Callable[[], None]] = set()


def register(waker: Callable[[], None]) -> Callable[[], None]:
    """Call `waker` (thread-safe, non-blocking) after each such commit; returns the undo."""
    with _lock:
        _wakers.add(waker)

    def unregister() -> None:
        with _lock:
            _wakers.discard(waker)

    return unregister


def _after_commit(session: Session) -> None:
    if not session.info.pop(_QUEUED, False):
        return
    with _lock:
        wakers = list(_wakers)
    for waker in wakers:
        waker()


def _after_rollback(session: Session) -> None:
    session.info.pop(_QUEUED, None)


def wake_after_commit(session: Session) -> None:
    """Mark the session's transaction as one that queued reports."""
    session.info[_QUEUED] = True
    if not session.info.get(_LISTENING):
        session.info[_LISTENING] = True
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_rollback", _after_rollback)
