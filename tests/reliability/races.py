"""Race helpers: threads released together at a barrier, and exact row counts.

The pattern of HAPI FHIR's concurrent-create tests: every client is ready before any sends,
so the requests meet in the database, and the test then counts rows rather than trusting
the answers alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy import create_engine, text


def together(n: int, send: Callable[[httpx.Client, int], httpx.Response]) -> list[httpx.Response]:
    """Run `send(client, i)` for i in 0..n-1 on n threads released at one barrier."""
    barrier = threading.Barrier(n)

    def run(i: int) -> httpx.Response:
        with httpx.Client(timeout=60) as client:
            barrier.wait()
            return send(client, i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def count(url: str, sql: str, **params: Any) -> int:
    """One number from the service's database (the truth, whatever the answers said)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql), params).scalar_one())
    finally:
        engine.dispose()


def statuses(answers: list[httpx.Response]) -> dict[int, int]:
    """How many answers had each status."""
    out: dict[int, int] = {}
    for r in answers:
        out[r.status_code] = out.get(r.status_code, 0) + 1
    return dict(sorted(out.items()))


def codes(answers: list[httpx.Response]) -> set[str]:
    """The problem codes among the error answers."""
    return {r.json().get("code") for r in answers if r.status_code >= 400}
