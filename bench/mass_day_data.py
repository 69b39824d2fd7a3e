"""The mass-screening-day data set: persons seeded by COPY, results posted through the API.

Persons `P000000`... (60 % inpatients, 30 % staff on 200 wards, 10 % outpatients, 20
departments). Each person with results has `PER_PERSON` of them, two per required test: one
collected five days ago and one twenty hours ago, all clean, except that one person in a
hundred had a positive nucleic-acid result five days ago (an alert is queued; they are not
discharge-eligible). Results are generated person by person, so the first 10,000 results
cover the first 1,000 persons completely: a probe person has the same history at 10,000 and
at 1,000,000 stored results.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg

BATCH = 5000
PER_PERSON = 10
TESTS = (
    ("nucleic_acid", "negative"),
    ("antibody_igm", "negative"),
    ("antibody_igg", "negative"),
    ("chest_ct", "normal"),
    ("blood_routine", "normal"),
)


def volumes() -> tuple[int, int]:
    """(persons, results): the issue's 100,000 and 1,000,000 unless reduced by env vars."""
    persons = int(os.environ.get("WARDGATE_BENCH_PERSONS", "100000"))
    results = int(os.environ.get("WARDGATE_BENCH_RESULTS", "1000000"))
    return persons, min(results, persons * PER_PERSON)


def person_id(i: int) -> str:
    """The external id of person number `i`."""
    return f"P{i:06d}"


def category(i: int) -> str:
    """Person `i`'s category (60 % inpatients, 30 % staff, 10 % outpatients)."""
    return "inpatient" if i % 10 < 6 else "staff" if i % 10 < 9 else "outpatient"


def had_positive(i: int) -> bool:
    """One person in a hundred had a positive nucleic-acid result five days ago."""
    return i % 100 == 42


def seed_persons(dsn: str, count: int, now: datetime) -> float:
    """COPY `count` persons into the screening database; returns seconds taken."""
    started = time.perf_counter()
    columns = "external_id, name, category, department, ward, admitted_at, created_at, updated_at"
    with (
        psycopg.connect(dsn) as conn,
        conn.cursor() as cur,
        cur.copy(f"COPY person ({columns}) FROM STDIN") as copy,
    ):
        for i in range(count):
            cat = category(i)
            copy.write_row(
                (
                    person_id(i),
                    f"Person {i}",
                    cat,
                    f"D{i % 20:02d}",
                    f"W{i % 200:03d}" if cat != "outpatient" else None,
                    now - timedelta(days=20) if cat == "inpatient" else None,
                    now,
                    now,
                )
            )
    return time.perf_counter() - started


def _result(i: int, k: int, now: datetime) -> dict[str, Any]:
    test_type, value = TESTS[k % len(TESTS)]
    older = k < len(TESTS)
    if older and test_type == "nucleic_acid" and had_positive(i):
        value = "positive"
    age = timedelta(days=5) if older else timedelta(hours=20)
    return {
        "external_id": f"{person_id(i)}-{k}",
        "person_external_id": person_id(i),
        "test_type": test_type,
        "result": value,
        "status": "final",
        "specimen_collected_at": (now - age - timedelta(seconds=i % 600)).isoformat(),
        "performer": "Mass screening lab",
    }


def result_batches(first: int, last: int, now: datetime) -> Iterator[bytes]:
    """JSON bodies of `POST /results/batch` for results number `first` to `last` (exclusive)."""
    items: list[dict[str, Any]] = []
    for n in range(first, last):
        items.append(_result(n // PER_PERSON, n % PER_PERSON, now))
        if len(items) == BATCH:
            yield json.dumps({"results": items}).encode()
            items = []
    if items:
        yield json.dumps({"results": items}).encode()


def post_batches(url: str, token: str, bodies: Iterator[bytes]) -> list[tuple[int, float]]:
    """Post each batch in turn (one client); (rows accepted, seconds) per batch."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    timings = []
    with httpx.Client(base_url=url, headers=headers, timeout=300) as http:
        for body in bodies:
            started = time.perf_counter()
            answer = http.post("/results/batch", content=body)
            elapsed = time.perf_counter() - started
            answer.raise_for_status()
            outcome = answer.json()
            if outcome["rejected"]:
                raise RuntimeError(f"batch rejected items: {str(outcome['rejected'])[:300]}")
            timings.append((int(outcome["accepted"]), elapsed))
    return timings


RAW_COLUMNS = (
    "external_id, version, person_external_id, test_type, result, status, "
    'specimen_collected_at, resulted_at, loinc, "values", performer, note, replaces_version, '
    "content_hash, recorded_at, recorded_by"
)


def raw_executemany(dsn: str, first_external_id: str, rows: int) -> float:
    """Rows/s of psycopg executemany re-inserting `rows` stored rows (fresh external ids).

    The very rows the API stored from `first_external_id` on (same columns and values), one
    transaction per `BATCH` rows, into the same table at the same size.
    """
    with psycopg.connect(dsn) as conn:
        stored = list(
            conn.execute(
                f"SELECT {RAW_COLUMNS} FROM screening_result WHERE external_id >= %s "
                "ORDER BY external_id LIMIT %s",
                (first_external_id, rows),
            )
        )
        conn.commit()
        fresh = [
            (f"RAW-{r[0]}", *r[1:9], json.dumps(r[9]) if r[9] is not None else None, *r[10:])
            for r in stored
        ]
        sql = f"INSERT INTO screening_result ({RAW_COLUMNS}) VALUES ({', '.join(['%s'] * 16)})"
        started = time.perf_counter()
        for start in range(0, len(fresh), BATCH):
            with conn.cursor() as cur:
                cur.executemany(sql, fresh[start : start + BATCH])
            conn.commit()
        elapsed = time.perf_counter() - started
    return len(fresh) / elapsed


def now_utc() -> datetime:
    """The bench's reference time."""
    return datetime.now(UTC)
