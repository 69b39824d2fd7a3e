"""Booking throughput under contention: 32 clients booking in one department at once.

A real appointments service on PostgreSQL. Every request books a distinct patient, so every
answer should be 201: each one claims a place with the conditional UPDATE, stores the
appointment under the partial unique index and appends an audit row. Two shapes:
`spread` (bookings cycle over every slot of the next days) and `hot slot` (every client
books the same slot, so all of them queue on one row). Reported as bookings/s next to a bare
FastAPI endpoint measured in the same run.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import create_engine, text

from bench.load import (
    LoadResult,
    bench_auth,
    bench_database,
    ratio_row,
    run_load,
    start_floor,
    start_service,
)

CLIENTS = 32
PATIENTS = 60_000
SLOT_MINUTES = 5
TZ = ZoneInfo("Asia/Shanghai")


def _slot_starts(days: int) -> list[str]:
    first = datetime.now(TZ).date() + timedelta(days=1)
    per_day = (24 * 60 - SLOT_MINUTES) // SLOT_MINUTES
    return [
        (
            datetime.combine(first + timedelta(days=d), time(0), tzinfo=TZ)
            + timedelta(minutes=SLOT_MINUTES * n)
        ).isoformat()
        for d in range(days)
        for n in range(per_day)
    ]


def _bodies(department: str, starts: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "department": department,
            "patient_external_id": f"B{i:06d}",
            "patient_name": "Bench Patient",
            "slot_start": starts[i % len(starts)],
        }
        for i in range(PATIENTS)
    ]


def _configure(url: str, admin: dict[str, str], code: str) -> None:
    department = {
        "name": f"Bench {code}",
        "slot_minutes": SLOT_MINUTES,
        "capacity_per_slot": 10_000,
        "opens": "00:00",
        "closes": "23:59",
        "booking_days_ahead": 7,
    }
    r = httpx.put(f"{url}/departments/{code}", json=department, headers=admin, timeout=10)
    r.raise_for_status()


def _stored_bookings(database_url: str, department: str) -> int:
    """Appointments actually stored (counted in the database, not from the load generator)."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        count = conn.execute(
            text("SELECT count(*) FROM appointment WHERE department_code = :d"), {"d": department}
        ).scalar_one()
    engine.dispose()
    return int(count)


def _booking_row(
    name: str, result: LoadResult, floor: LoadResult, stored: int, duration_s: int
) -> dict[str, Any]:
    row = ratio_row(name, result, floor)
    row["bookings_per_s"] = round(stored / duration_s, 1)
    row["bookings_stored"] = stored
    row["not_booked"] = max(0, result.requests - stored)
    print(
        f"  {'':<32} {row['bookings_per_s']:>9} bookings/s  ({stored} stored, "
        f"{row['not_booked']} answered without a booking)"
    )
    return row


def main(duration_s: int = 10) -> dict[str, Any]:
    """Measure the floor, then bookings/s spread over slots and on one hot slot."""
    env, token = bench_auth()
    env["DATABASE_URL"] = bench_database("appointments", "wardgate_bench_booking")
    env["WARDGATE_TIMEZONE"] = TZ.key
    headers = {"Authorization": f"Bearer {token('nurse')}"}
    admin = {"Authorization": f"Bearer {token('admin')}"}
    print(f"appointment booking ({CLIENTS} connections, one department, distinct patients)")
    rows = []
    floor = start_floor()
    try:
        floor_r = run_load(floor.url + "/floor", concurrency=CLIENTS, duration_s=duration_s)
        rows.append(ratio_row("bare FastAPI (floor)", floor_r, floor_r))
    finally:
        floor.stop()
    service = start_service("appointments", env)
    try:
        for code, label, starts in (
            ("SPREAD", "book, spread over slots", _slot_starts(days=5)),
            ("HOT", "book, one hot slot", _slot_starts(days=1)[100:101]),
        ):
            _configure(service.url, admin, code)
            result = run_load(
                service.url + "/appointments",
                method="POST",
                headers=headers,
                bodies=_bodies(code, starts),
                concurrency=CLIENTS,
                duration_s=duration_s,
            )
            stored = _stored_bookings(env["DATABASE_URL"], code)
            rows.append(_booking_row(label, result, floor_r, stored, duration_s))
        peak = service.peak_rss_mb()
    finally:
        service.stop()
    return {"appointments_booking": rows, "peak_rss_mb": round(peak, 1)}


if __name__ == "__main__":
    main()
