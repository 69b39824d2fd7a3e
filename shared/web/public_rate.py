"""The rate limit of the public (no sign-in) endpoints: N requests a minute per client address.

`WARDGATE_PUBLIC_RATE_PER_MIN` (default 10) requests within any 60 seconds per client
address and service; one more answers 429 `rate_limited` with `Retry-After` (seconds until
the oldest counted request leaves the window). Refused requests are not counted, so a client
that waits as told gets through. The counts live in one small SQLite file in the data dir
(`public-rate.db`, mode 600, WAL), as the sign-in throttle's failures do
(`shared.auth.session_store`), so every worker process of a service on the host shares them;
each check is one `BEGIN IMMEDIATE` transaction, so concurrent workers cannot both take the
last place. Behind a load balancer across hosts each host counts on its own (docs/security.md).

The client address is `request.client.host`: the TCP peer, or the `X-Forwarded-For` address
only from `WARDGATE_TRUSTED_PROXIES` (what `wardgate serve` tells uvicorn). A refusal is noted
as a denial, so floods become counted audit rows per address and minute, as 401 floods do.
"""

from __future__ import annotations

import contextlib
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request

from shared.audit.trail import record_denial
from shared.errors import Problem

WINDOW_S = 60.0
STORE_FILE = "public-rate.db"
RATE_LIMITED = "rate_limited"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS public_requests (
    service TEXT NOT NULL,
    address TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS public_requests_by_address ON public_requests (service, address, at);
CREATE INDEX IF NOT EXISTS public_requests_by_time ON public_requests (at);
"""

# For `responses=` of every public route (the OpenAPI documents each error status).
RATE_LIMIT_RESPONSE: dict[int | str, dict[str, Any]] = {
    429: {
        "description": (
            "More than WARDGATE_PUBLIC_RATE_PER_MIN public requests within a minute from this "
            "client address (`rate_limited`); `Retry-After` gives the seconds to wait."
        ),
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    }
}


class TooManyRequests(Problem):
    """429: the client address used up its public requests for now."""

    status, code = 429, RATE_LIMITED


class PublicRateStore:
    """Recent admitted public requests per (service, address), one connection per thread."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock
        self._local = threading.local()
        self._ready = False
        self._ready_lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):  # private: it holds client addresses
                os.close(os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
            conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
            conn.execute("PRAGMA busy_timeout = 10000")
            self._local.conn = conn
            with self._ready_lock:
                if not self._ready:
                    conn.execute("PRAGMA journal_mode = WAL")
                    conn.executescript(_SCHEMA)
                    self._ready = True
        return conn

    def admit(self, service: str, address: str, limit: int) -> int | None:
        """Count this request and answer None, or the seconds to wait when over the limit."""
        now = self.clock()
        since = now - WINDOW_S
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM public_requests WHERE at <= ?", (since,))
            rows = conn.execute(
                "SELECT at FROM public_requests WHERE service = ? AND address = ? AND at > ? "
                "ORDER BY at DESC LIMIT ?",
                (service, address, since, max(limit, 1)),
            ).fetchall()
            if len(rows) >= limit:
                conn.execute("COMMIT")
                oldest = rows[-1][0] if rows else now
                return max(1, math.ceil(oldest + WINDOW_S - now))
            conn.execute("INSERT INTO public_requests VALUES (?, ?, ?)", (service, address, now))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return None


def public_rate_store(request: Request) -> PublicRateStore:
    """The app's store (made on first use, in the data dir; tests may set their own)."""
    state = request.app.state
    store: PublicRateStore | None = getattr(state, "public_rate", None)
    if store is None:
        store = PublicRateStore(Path(state.settings.wardgate_data_dir) / STORE_FILE)
        state.public_rate = store
    return store


def client_address(request: Request) -> str:
    """The caller's address as the server resolved it (trusted proxies only)."""
    return (request.client.host if request.client else "")[:64]


def public_rate_refusal(request: Request) -> TooManyRequests | None:
    """Count this public request; the 429 to answer when over the limit (noted as a denial)."""
    settings = request.app.state.settings
    limit = int(settings.wardgate_public_rate_per_min)
    wait = public_rate_store(request).admit(settings.service_name, client_address(request), limit)
    if wait is None:
        return None
    record_denial(request, 429, "public rate limit")  # counted per address and minute
    return TooManyRequests(
        f"Too many requests from this address: at most {limit} a minute. "
        f"Try again in {wait} seconds.",
        headers={"Retry-After": str(wait)},
    )


def limit_public_rate(request: Request) -> None:
    """A dependency of every public API route: 429 with Retry-After over the limit."""
    refusal = public_rate_refusal(request)
    if refusal is not None:
        raise refusal
