"""Streamed CSV exports against clients that stop reading: a real uvicorn process, raw sockets.

25 auditors' downloads stall after 100 bytes. While they stall, and after they hang up, the
service must keep every database connection and transaction free: `/health` and other
requests answer 200 from a pool of only two connections, PostgreSQL shows no transaction
left open by the service, and on SQLite the test itself can take the write lock.
"""

from __future__ import annotations

import socket
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from services.discharge.discharges.repository import export_pages
from services.discharge.discharges.schemas import DischargeFilter
from services.discharge.models import Discharge
from shared.db import make_engine
from tests.support.keys import TestIdp

pytestmark = pytest.mark.e2e

STALLED_CLIENTS = 25
# ~1.1 KB a CSV row: 6,000 rows are ~6.6 MB a download, far more than a socket buffers
# for a reader that stopped (its receive window is at most a few KiB here).
ROWS = 6_000
POOL = {"WARDGATE_DB_POOL_SIZE": "2", "WARDGATE_DB_MAX_OVERFLOW": "0"}
# How long a request waits for a pooled connection before 503 `database_busy`: not a
# measured duration, only how quickly a leaked pool shows up as a failure.
POOL_WAIT = {"WARDGATE_DB_POOL_TIMEOUT_S": "2"}
SETTLE_S = 30  # the longest the service may take to settle; it normally takes milliseconds


def _seed(url: str, rows: int) -> None:
    now = datetime.now(UTC)
    values: list[dict[str, Any]] = [
        {
            "patient_external_id": f"S-{n}",
            "admission_key": "a",
            "department": "resp",
            "ward": "W3",
            "disposition": "home",
            "outcome": "blocked",
            "reason": "r" * 1000,
            "reasons": [{"code": "missing", "detail": "No result."}],
            "evidence": [],
            "rule_version": "v1",
            "actor": "seed",
            "created_at": now,
            "hospital_day": date.today(),
        }
        for n in range(rows)
    ]
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(Discharge.__table__.insert(), values)  # type: ignore[attr-defined]
    engine.dispose()


def _stalled_reader(port: int, token: str, opened: list[socket.socket]) -> None:
    """A client that asks for the CSV, reads its first 100 bytes, and stops reading."""
    sock = socket.socket()
    opened.append(sock)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    request = (
        "GET /discharges HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/csv\r\n"
        f"Authorization: Bearer {token}\r\n\r\n"
    )
    sock.sendall(request.encode())
    received = b""
    while len(received) < 100:
        chunk = sock.recv(100 - len(received))
        assert chunk, "the service closed the download before its first 100 bytes"
        received += chunk
    assert received.startswith(b"HTTP/1.1 200"), received


def _open_transactions(url: str) -> list[tuple[str, str]]:
    """Backends of the service's database inside a transaction or running a query."""
    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT state, left(query, 60) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()"
            " AND (state <> 'idle' OR xact_start IS NOT NULL)",
            (parsed.database,),
        ).fetchall()
    return [(str(state), str(query)) for state, query in rows]


def _sqlite_write_lock_free(url: str) -> bool:
    """True when the test itself can take SQLite's write lock (no transaction holds it)."""
    path = make_url(url).database
    assert path is not None
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


def _nothing_held(backend: str, url: str) -> Any:
    if backend == "postgresql":
        return _open_transactions(url)
    return [] if _sqlite_write_lock_free(url) else ["the SQLite write lock is held"]


def _settled(check: Callable[[], Any]) -> Any:
    """The check's last answer once it is empty, or after SETTLE_S (then the test fails)."""
    deadline = time.monotonic() + SETTLE_S
    while True:
        held = check()
        if not held or time.monotonic() > deadline:
            return held
        time.sleep(0.2)


def _served(client: httpx.Client, headers: dict[str, str]) -> list[tuple[str, int, str]]:
    """What /health, a JSON page (it writes an audit row) and a small CSV answer."""
    small = {"patient_external_id": "S-1"}
    answers = [
        ("/health", client.get("/health")),
        ("/discharges?limit=5", client.get("/discharges", params={"limit": 5}, headers=headers)),
        (
            "/discharges csv",
            client.get("/discharges", params=small, headers={**headers, "Accept": "text/csv"}),
        ),
    ]
    return [(name, r.status_code, r.text[:200]) for name, r in answers if r.status_code != 200]


@pytest.fixture
def stalled(live: Any, database_url: Any, idp: TestIdp) -> Iterator[dict[str, Any]]:
    url = database_url("discharge")
    service = live("discharge", **POOL, **POOL_WAIT)
    _seed(url, ROWS)
    state: dict[str, Any] = {"service": service, "url": url, "sockets": []}
    yield state
    for sock in state["sockets"]:
        sock.close()


def test_stalled_csv_readers_hold_no_connection_or_transaction(stalled, backend, idp):
    service, url = stalled["service"], stalled["url"]
    token = idp.token("auditor", sub="slow-reader")
    headers = {"Authorization": f"Bearer {token}"}
    client = httpx.Client(base_url=service.url, timeout=30)

    complete = client.get("/discharges", headers={**headers, "Accept": "text/csv"})
    assert complete.status_code == 200
    assert complete.text.count("\n") == ROWS + 1  # the header and every row, paged or not
    assert len(complete.content) > 5_000_000

    for _ in range(STALLED_CLIENTS):
        _stalled_reader(service.port, token, stalled["sockets"])

    assert _settled(lambda: _nothing_held(backend, url)) == []
    assert _served(client, headers) == []

    for sock in stalled["sockets"]:
        sock.close()
    stalled["sockets"].clear()

    assert _settled(lambda: _nothing_held(backend, url)) == []
    for _ in range(3):  # more requests than the pool has connections
        assert _served(client, headers) == []
    client.close()


def test_between_pages_an_export_holds_no_connection(database_url):
    """What the stream waits on a client with: a page in hand, and no pooled connection."""
    url = database_url("discharge")
    _seed(url, 95)
    engine = make_engine(url, pool_size=1, max_overflow=0)
    pages = export_pages(engine, DischargeFilter(department="resp"), page_rows=10)
    sizes = []
    for page in pages:
        sizes.append(len(page))
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        assert page[-1].reason == "r" * 1000  # loaded: nothing left to read lazily
    assert sizes == [10] * 9 + [5]
    abandoned = export_pages(engine, DischargeFilter(), page_rows=10)
    next(abandoned)  # a client that goes away after the first page
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    engine.dispose()
