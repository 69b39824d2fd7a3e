"""Batch ingest rows/s through the API next to raw psycopg executemany, same PostgreSQL.

The API path: `POST /results/batch` with 5,000 results a request, one client after the other
(validation, version placement, set-based insert, alert outbox, audit, one transaction each).
The raw path: the very rows the API stored (same columns, same values, fresh external ids)
inserted with psycopg `executemany`, one transaction per 5,000 rows. Printed as a ratio.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg

from bench.load import bench_auth, start_service

BATCH = 5000
BATCHES = 8
PERSONS = 1000
TESTS = (
    ("nucleic_acid", ("negative", "negative", "negative", "positive")),
    ("antibody_igm", ("negative", "indeterminate")),
    ("antibody_igg", ("negative",)),
    ("chest_ct", ("normal", "abnormal")),
    ("blood_routine", ("normal",)),
)


def own_database(name: str) -> str:
    """A fresh, migrated screening database of our own (other benches use the default one)."""
    from sqlalchemy.engine import make_url

    from shared.migrate import upgrade

    server = make_url(
        os.environ.get(
            "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        )
    )
    admin = server.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    upgrade("screening", url)
    return url


def _items(prefix: str, count: int, now: datetime) -> list[dict[str, Any]]:
    items = []
    for n in range(count):
        test_type, values = TESTS[n % len(TESTS)]
        items.append(
            {
                "external_id": f"{prefix}-{n}",
                "person_external_id": f"BP-{n % PERSONS:05d}",
                "test_type": test_type,
                "result": values[n % len(values)],
                "status": "final",
                "specimen_collected_at": (now - timedelta(minutes=n % 5000)).isoformat(),
                "performer": "Bench Lab",
            }
        )
    return items


def _seed_persons(dsn: str, now: datetime) -> None:
    rows = [
        (f"BP-{i:05d}", "Bench Person", "inpatient", "resp", f"W{i % 20}", now, now)
        for i in range(PERSONS)
    ]
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO person (external_id, name, category, department, ward, created_at,"
            " updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            rows,
        )


def _api(url: str, token: str, batches: list[list[dict[str, Any]]]) -> float:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    bodies = [json.dumps({"results": b}).encode() for b in batches]
    with httpx.Client(base_url=url, headers=headers, timeout=120) as http:
        started = time.perf_counter()
        for body in bodies:
            answer = http.post("/results/batch", content=body)
            answer.raise_for_status()
            assert answer.json()["accepted"] == BATCH, answer.text[:300]
        return time.perf_counter() - started


RESULT_COLUMNS = (
    "external_id, version, person_external_id, test_type, result, status, "
    'specimen_collected_at, resulted_at, loinc, "values", performer, note, replaces_version, '
    "content_hash, recorded_at, recorded_by"
)


def raw_insert(
    dsn: str, transactions: list[list[tuple[Any, ...]]], columns: str = RESULT_COLUMNS
) -> float:
    """Seconds to insert the rows with psycopg executemany, one commit per inner list."""
    marks = ", ".join(["%s"] * len(columns.split(",")))
    sql = f"INSERT INTO screening_result ({columns}) VALUES ({marks})"
    with psycopg.connect(dsn) as conn:
        started = time.perf_counter()
        for rows in transactions:
            with conn.cursor() as cur:
                cur.executemany(sql, rows)
            conn.commit()
        return time.perf_counter() - started


def stored_rows(dsn: str, columns: str = RESULT_COLUMNS, where: str = "") -> list[tuple[Any, ...]]:
    """The stored result rows (`columns`, optionally filtered), in the order they were stored."""
    with psycopg.connect(dsn) as conn:
        condition = f" WHERE {where}" if where else ""
        query = f"SELECT {columns} FROM screening_result{condition} ORDER BY id"
        return list(conn.execute(query))


def main() -> dict[str, Any]:
    """Ingest the same rows both ways; print rows/s and the ratio."""
    env, token = bench_auth()
    url = own_database("wardgate_bench_screening_ingest")
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    now = datetime.now(UTC)
    _seed_persons(dsn, now)
    batches = [_items(f"API{b}", BATCH, now) for b in range(BATCHES)]
    server = start_service("screening", {**env, "DATABASE_URL": url})
    try:
        _api(server.url, token("integration"), [_items("WARM", BATCH, now)])  # warm-up
        api_s = _api(server.url, token("integration"), batches)
    finally:
        server.stop()
    stored = [r for r in stored_rows(dsn) if str(r[0]).startswith("API")]
    raw_rows = [
        (f"RAW-{r[0]}", *r[1:9], json.dumps(r[9]) if r[9] is not None else None, *r[10:])
        for r in stored
    ]
    raw_batches = [raw_rows[i : i + BATCH] for i in range(0, len(raw_rows), BATCH)]
    raw_s = raw_insert(dsn, raw_batches)
    total = BATCH * BATCHES
    api_rate, raw_rate = total / api_s, total / raw_s
    ratio = api_rate / raw_rate
    print(f"screening ingest ({BATCHES} x {BATCH} results, PostgreSQL)")
    print(f"  API POST /results/batch       {api_rate:>10.0f} rows/s")
    print(f"  raw psycopg executemany       {raw_rate:>10.0f} rows/s")
    print(f"  ratio API / raw               {ratio:>10.3f}   (target >= 0.50)")
    return {
        "rows": total,
        "api_rows_per_s": round(api_rate),
        "raw_rows_per_s": round(raw_rate),
        "ratio_to_raw": round(ratio, 3),
    }


if __name__ == "__main__":
    main()
