"""Denied requests (401/403) into the audit trail: one place, counted, outage-proof.

Every denial reaches `DenialLedger.record` from the request middleware. A caller with a
verified token gets a row of its own, as any audited action does. Unauthenticated denials
are counted per (client address, minute, outcome): the first of each is written at once, the
rest become one row with `detail.count` once the minute is over (or when the trail is read,
or at shutdown), so a flood of anonymous requests costs a handful of rows, not one each.
A row that cannot be written (database down) stays in memory, merged into its tally, and is
written on a later flush: the ledger is bounded by `max_tallies`, beyond which new keys are
counted under client "*" rather than dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Table

from shared.audit.chain import AuditEntry, append_entry

log = logging.getLogger("wardgate.audit")

ANONYMOUS = "anonymous"
ACTION = "auth.denied"
OVERFLOW_CLIENT = "*"
_NAMED = 20  # distinct resources / reasons named in a counted row; the rest are summed


@dataclass(frozen=True)
class Denial:
    """One refused request."""

    status: int
    resource: str
    client: str
    reason: str
    request_id: str = ""
    actor: str = ANONYMOUS
    roles: str = ""
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def outcome(self) -> str:
        """The audit outcome word for the status."""
        return {401: "unauthorized", 429: "rate_limited"}.get(self.status, "forbidden")


# (minute, client, outcome, actor, roles)
Key = tuple[datetime, str, str, str, str]


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def _bump(counts: dict[str, int], name: str, by: int) -> None:
    if name in counts or len(counts) < _NAMED:
        counts[name] = counts.get(name, 0) + by
    else:
        counts["(other)"] = counts.get("(other)", 0) + by


@dataclass
class Tally:
    """Denials of one key not yet in the trail."""

    first: Denial
    count: int = 0
    last_at: datetime | None = None
    resources: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)

    def add(self, denial: Denial, count: int = 1) -> None:
        """Count `denial` (`count` times)."""
        self.count += count
        self.last_at = max(self.last_at or denial.at, denial.at)
        _bump(self.resources, denial.resource, count)
        _bump(self.reasons, denial.reason, count)

    def merge(self, other: Tally) -> None:
        """Fold another tally of the same key in (a failed flush put back)."""
        self.count += other.count
        self.last_at = max(filter(None, (self.last_at, other.last_at)), default=None)
        for name, n in other.resources.items():
            _bump(self.resources, name, n)
        for name, n in other.reasons.items():
            _bump(self.reasons, name, n)

    def entry(self, client: str) -> AuditEntry:
        """The counted audit row."""
        first = self.first
        detail: dict[str, Any] = {"status": first.status, "reason": first.reason[:200]}
        detail["count"] = self.count
        if self.count > 1:
            detail["last_at"] = self.last_at
            detail["resources"] = self.resources
            detail["reasons"] = self.reasons
        return AuditEntry(
            actor=first.actor,
            roles=first.roles,
            action=ACTION,
            resource=first.resource[:300],
            outcome=first.outcome,
            client=client,
            request_id=first.request_id,
            detail=detail,
            at=first.at,
        )


class DenialLedger:
    """Where the middleware hands every denial; a background thread flushes the tallies."""

    def __init__(
        self,
        table: Table,
        *,
        max_tallies: int = 10_000,
        flush_interval_s: float = 5.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._table = table
        self._max = max(1, max_tallies)
        self._interval = flush_interval_s
        self._clock = clock
        self._engine: Engine | None = None
        self._tallies: dict[Key, Tally] = {}
        self._opened: set[Key] = set()  # keys whose first denial was written (or tried)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, engine: Engine) -> None:
        """Write to `engine` from now on, flushing every few seconds in a thread."""
        self._engine = engine
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="audit-denials", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and write every tally (kept in memory if the database is down)."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)
        self.flush(everything=True)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.flush()

    def record(self, denial: Denial) -> None:
        """Audit one denial (blocking: at most one small insert; call from a worker thread)."""
        key: Key = (_minute(denial.at), denial.client, denial.outcome, denial.actor, denial.roles)
        with self._lock:
            write_now = denial.actor != ANONYMOUS or (
                key not in self._opened and len(self._opened) < self._max
            )
            if write_now:
                self._opened.add(key)
            else:
                self._count(key, denial, 1)
        if write_now and not self._write([Tally(denial, 1).entry(denial.client)]):
            with self._lock:
                self._count(key, denial, 1)

    def count_only(self, denial: Denial) -> bool:
        """Count an anonymous denial whose first of the minute is written; False: `record`.

        Never touches the database, so the event loop may call it (the flood's path).
        """
        key: Key = (_minute(denial.at), denial.client, denial.outcome, denial.actor, denial.roles)
        with self._lock:
            if denial.actor != ANONYMOUS or key not in self._opened:
                return False
            self._count(key, denial, 1)
        return True

    def _count(self, key: Key, denial: Denial, count: int) -> None:
        tally = self._tallies.get(key)
        if tally is None:
            if len(self._tallies) >= self._max:
                key = (key[0], OVERFLOW_CLIENT, key[2], ANONYMOUS, "")
                tally = self._tallies.get(key)
            if tally is None:
                tally = self._tallies[key] = Tally(denial)
        tally.add(denial, count)

    def pending(self) -> int:
        """Denials counted in memory, not yet in the trail."""
        with self._lock:
            return sum(t.count for t in self._tallies.values())

    def flush(self, *, everything: bool = False) -> int:
        """Write the tallies of minutes gone by (all of them with `everything`); rows written."""
        now = _minute(self._clock())
        with self._lock:
            due = {k: t for k, t in self._tallies.items() if everything or k[0] < now}
            for key in due:
                del self._tallies[key]
            self._opened = {k for k in self._opened if k[0] >= now}
        if not due:
            return 0
        if self._write([tally.entry(key[1]) for key, tally in due.items()]):
            return len(due)
        with self._lock:  # the database is down: keep them for the next flush
            for key, tally in due.items():
                newer = self._tallies.get(key)
                if newer is not None:
                    tally.merge(newer)
                self._tallies[key] = tally
        return 0

    def _write(self, entries: list[AuditEntry]) -> bool:
        if self._engine is None:
            return False
        try:
            with self._engine.begin() as conn:
                for entry in entries:
                    append_entry(conn, self._table, entry)
        except Exception:
            log.warning("could not write %d denial rows; kept for the next flush", len(entries))
            return False
        return True
