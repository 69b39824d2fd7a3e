"""The web-session store: live and ended sign-in sessions, and recent failed sign-ins.

One small SQLite file (default `web-sessions.db` beside the users file) that every service
sharing the local accounts shares too, so a sign-out or a lockout on one service is seen by
the others at once. It is not a service's database: it holds no clinical data, and each
service's own tables stay its own (CONTRACT). SQLite's file locks make it safe for several
processes on one host (WAL mode; not on a network file system). Rows older than the session
or the lockout window are pruned as new ones arrive, so the file stays small.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS web_sessions (
    key TEXT PRIMARY KEY,
    sub TEXT NOT NULL,
    started_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    ended_at REAL
);
CREATE INDEX IF NOT EXISTS web_sessions_by_expiry ON web_sessions (expires_at);
CREATE TABLE IF NOT EXISTS sign_in_failures (
    account TEXT NOT NULL,
    address TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS failures_by_pair ON sign_in_failures (account, address, at);
CREATE INDEX IF NOT EXISTS failures_by_address ON sign_in_failures (address, at);
CREATE INDEX IF NOT EXISTS failures_by_time ON sign_in_failures (at);
"""


@dataclass(frozen=True)
class SessionRow:
    """What the store knows of one session."""

    expires_at: float
    ended_at: float | None


@dataclass(frozen=True)
class RecentFailures:
    """Failed sign-ins inside the lockout window, newest first (bounded by the limits)."""

    pair: list[float]  # this account from this address
    address: list[float]  # any account from this address
    account: int  # this account from any address


class SessionStore:
    """SQLite-backed sessions and failure counts, one connection per thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._ready = False
        self._ready_lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            self._prepare_file()
            conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
            conn.execute("PRAGMA busy_timeout = 10000")
            self._local.conn = conn
            with self._ready_lock:
                if not self._ready:
                    conn.execute("PRAGMA journal_mode = WAL")
                    conn.executescript(_SCHEMA)
                    self._ready = True
        return conn

    def _prepare_file(self) -> None:
        # Created private (mode 600) before SQLite opens it: it names who is signed in.
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))

    # sessions ------------------------------------------------------------------------------
    def start(self, key: str, sub: str, now: float, expires_at: float) -> None:
        """Record a new live session (and forget sessions long over)."""
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM web_sessions WHERE expires_at < ?", (now - 60,))
            conn.execute(
                "INSERT OR REPLACE INTO web_sessions VALUES (?, ?, ?, ?, NULL)",
                (key, sub[:200], now, expires_at),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def end(self, key: str, sub: str, now: float, expires_at: float) -> None:
        """Mark a session ended (recorded even when it was started elsewhere)."""
        self._connection().execute(
            "INSERT INTO web_sessions VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET ended_at = excluded.ended_at",
            (key, sub[:200], now, expires_at, now),
        )

    def get(self, key: str) -> SessionRow | None:
        """The session's expiry and end, or None when this store never saw it."""
        row = (
            self._connection()
            .execute("SELECT expires_at, ended_at FROM web_sessions WHERE key = ?", (key,))
            .fetchone()
        )
        return SessionRow(row[0], row[1]) if row else None

    # failed sign-ins -----------------------------------------------------------------------
    def recent_failures(
        self, account: str, address: str, since: float, pair_limit: int, address_limit: int
    ) -> RecentFailures:
        """The failures after `since` that decide whether a sign-in is held."""
        conn = self._connection()
        pair = conn.execute(
            "SELECT at FROM sign_in_failures WHERE account = ? AND address = ? AND at > ? "
            "ORDER BY at DESC LIMIT ?",
            (account, address, since, pair_limit),
        ).fetchall()
        by_address = conn.execute(
            "SELECT at FROM sign_in_failures WHERE address = ? AND at > ? ORDER BY at DESC LIMIT ?",
            (address, since, address_limit),
        ).fetchall()
        (by_account,) = conn.execute(
            "SELECT count(*) FROM sign_in_failures WHERE account = ? AND at > ?",
            (account, since),
        ).fetchone()
        return RecentFailures([r[0] for r in pair], [r[0] for r in by_address], int(by_account))

    def record_failure(self, account: str, address: str, now: float, forget_before: float) -> None:
        """Count one failed sign-in (and drop those outside the window)."""
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM sign_in_failures WHERE at < ?", (forget_before,))
            conn.execute("INSERT INTO sign_in_failures VALUES (?, ?, ?)", (account, address, now))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def clear_failures(self, account: str, address: str) -> None:
        """A successful sign-in forgets this account's failures from this address."""
        self._connection().execute(
            "DELETE FROM sign_in_failures WHERE account = ? AND address = ?", (account, address)
        )
