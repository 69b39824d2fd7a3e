"""Pool resolution members/s through the API next to raw psycopg executemany, same PostgreSQL.

The API path: `POST /pools/{id}/result` for 1,000 pools of 10 specimens, one request after the
other (the pool locked, its result placed among its versions, each member's pooled version
placed and stored, retests, the pool's state, audit: one transaction per pool).
The raw path: the very member rows the API stored (same columns and values, fresh external
ids) inserted with psycopg `executemany`, one transaction per pool's 10 rows. Printed as
members/s and a ratio. Run with `python -m bench pool_resolution`.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg

from bench.load import bench_auth, start_service
from bench.screening_ingest import RESULT_COLUMNS, own_database, raw_insert, stored_rows

POOLS = 1000
MEMBERS = 10
WARM = 20


def _seed(dsn: str, now: datetime) -> None:
    """Persons, pools and their specimens, straight into the tables (not what is measured)."""
    persons, pools, specimens = [], [], []
    collected = now - timedelta(hours=3)
    for p in range(POOLS + WARM):
        pool = f"BPOOL-{p:05d}"
        pools.append((pool, MEMBERS, "open", None, now, now))
        for m in range(MEMBERS):
            person = f"BP-{p:05d}-{m}"
            persons.append((person, "Bench Person", "staff", "resp", now, now))
            specimens.append(
                (f"BS-{p:05d}-{m}", person, "nucleic_acid", collected, pool, now, "bench")
            )
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO person (external_id, name, category, department, created_at,"
            " updated_at) VALUES (%s, %s, %s, %s, %s, %s)",
            persons,
        )
        cur.executemany(
            "INSERT INTO pool (pool_id, size, state, result_external_id, created_at,"
            " updated_at) VALUES (%s, %s, %s, %s, %s, %s)",
            pools,
        )
        cur.executemany(
            "INSERT INTO specimen (specimen_id, person_external_id, test_type, collected_at,"
            " pool_id, recorded_at, recorded_by) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            specimens,
        )


def _api(url: str, token: str, pools: range) -> float:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    bodies = [
        (
            f"/pools/BPOOL-{p:05d}/result",
            json.dumps(
                {"external_id": f"BPR-{p:05d}", "result": "negative", "status": "final"}
            ).encode(),
        )
        for p in pools
    ]
    with httpx.Client(base_url=url, headers=headers, timeout=120) as http:
        started = time.perf_counter()
        for path, body in bodies:
            answer = http.post(path, content=body)
            answer.raise_for_status()
            assert answer.json()["state"] == "negative", answer.text[:300]
        return time.perf_counter() - started


_COLUMNS = RESULT_COLUMNS + ", method, pool_id"


def main() -> dict[str, Any]:
    """Resolve the same member rows both ways; print members/s and the ratio."""
    env, token = bench_auth()
    url = own_database("wardgate_bench_pool_resolution")
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    now = datetime.now(UTC)
    _seed(dsn, now)
    server = start_service("screening", {**env, "DATABASE_URL": url})
    try:
        _api(server.url, token("integration"), range(POOLS, POOLS + WARM))  # warm-up
        api_s = _api(server.url, token("integration"), range(POOLS))
    finally:
        server.stop()
    stored = [
        r
        for r in stored_rows(dsn, _COLUMNS, "method = 'pooled'")
        if not str(r[0]).startswith(tuple(f"BPR-{p:05d}:" for p in range(POOLS, POOLS + WARM)))
    ]
    raw_rows = [
        (f"RAW-{r[0]}", *r[1:9], json.dumps(r[9]) if r[9] is not None else None, *r[10:])
        for r in stored
    ]
    per_pool = [raw_rows[i : i + MEMBERS] for i in range(0, len(raw_rows), MEMBERS)]
    raw_s = raw_insert(dsn, per_pool, _COLUMNS)
    total = POOLS * MEMBERS
    assert len(raw_rows) == total, len(raw_rows)
    api_rate, raw_rate = total / api_s, total / raw_s
    ratio = api_rate / raw_rate
    print(f"pool resolution ({POOLS} pools x {MEMBERS} members, PostgreSQL)")
    print(f"  API POST /pools/{{id}}/result   {api_rate:>10.0f} members/s")
    print(f"  raw psycopg executemany       {raw_rate:>10.0f} members/s (a transaction a pool)")
    print(f"  ratio API / raw               {ratio:>10.3f}")
    return {
        "pools": POOLS,
        "members": total,
        "api_members_per_s": round(api_rate),
        "raw_members_per_s": round(raw_rate),
        "ratio_to_raw": round(ratio, 3),
    }


if __name__ == "__main__":
    main()
